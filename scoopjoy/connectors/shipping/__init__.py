"""Shipping: Delivery Note -> Shipment, rates, booking, label and tracking (issue #6).

Rates and booking come from the ERPNext Shipping app (``erpnext_shipping``) when it is installed,
and from a directly configured carrier (a SendCloud-style API, called through our kernel) when
one is enabled in Shipping Settings.
"""
