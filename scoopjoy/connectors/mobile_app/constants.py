SERVICE_NAME = "Franchise Mobile App"
SETTINGS_DOCTYPE = "Mobile App Settings"
API_KEY_HEADER = "X-API-Key"
#: the module of the job bodies; dead letters store their paths under it, so it never changes
JOBS = "scoopjoy.connectors.mobile_app.jobs"

HEALTH_PATH = "/api/v1/health"
MENU_SYNC_PATH = "/api/v1/menu/sync"
OUTLET_SYNC_PATH = "/api/v1/outlets/sync"
ORDER_STATUS_PATH = "/api/v1/orders/status"
