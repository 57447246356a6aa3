"""Shipping constants. Pure Python: no frappe."""

SERVICE_NAME = "Shipping Carrier"
SETTINGS_DOCTYPE = "Shipping Settings"
SHIPPING_APP = "erpnext_shipping"
SHIPPING_APP_API = "erpnext_shipping.erpnext_shipping.shipping"
#: our argument name -> the names other versions of the ERPNext Shipping app use for it
SHIPPING_APP_ALIASES = {"parcels": ("shipment_parcel",)}
INSTALL_HINT = (
	"bench get-app erpnext_shipping && bench --site <your-site> install-app erpnext_shipping, then "
	"enable a provider (SendCloud or LetMeShip) in its settings"
)

#: SendCloud-style API v2 paths (https://api.sendcloud.dev/docs/sendcloud-public-api/)
SHIPPING_METHODS_PATH = "/api/v2/shipping_methods"
PARCELS_PATH = "/api/v2/parcels"
PARCEL_PATH = "/api/v2/parcels/{id}"
LABEL_PATH = "/api/v2/labels/{id}"

#: Shipment.tracking_status options (ERPNext's Shipment DocType)
IN_PROGRESS, DELIVERED, RETURNED, LOST = "In Progress", "Delivered", "Returned", "Lost"
FINAL_TRACKING_STATUSES = (DELIVERED, RETURNED, LOST)

#: SendCloud parcel status ids (https://api.sendcloud.dev/docs/sendcloud-public-api/parcel-statuses)
#: that end the journey; everything else is "In Progress"
DELIVERED_STATUS_IDS = frozenset({11, 93})  # Delivered, Shipment collected by customer
LOST_STATUS_IDS = frozenset({80})  # Unable to deliver
CANCELLED_STATUS_IDS = frozenset({2000, 1998})  # Cancelled, Cancelled upstream
