SERVICE_NAME = "Franchise Mobile App"
SETTINGS_DOCTYPE = "Mobile App Settings"
API_KEY_HEADER = "X-API-Key"

HEALTH_PATH = "/api/v1/health"
MENU_SYNC_PATH = "/api/v1/menu/sync"
OUTLET_SYNC_PATH = "/api/v1/outlets/sync"
ORDER_STATUS_PATH = "/api/v1/orders/status"
