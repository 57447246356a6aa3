"""WhatsApp Business Cloud API: order confirmations and message status (issue: Sales Order events)."""
