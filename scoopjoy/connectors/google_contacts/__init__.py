"""Google Contacts (People API) through Frappe's Connected App: franchise customers as contacts (issue #6)."""
