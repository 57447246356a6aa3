"""WhatsApp Cloud API constants. Codes: https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes"""

SERVICE_NAME = "WhatsApp"
SETTINGS_DOCTYPE = "WhatsApp Settings"
GRAPH_BASE_URL = "https://graph.facebook.com"
#: a Graph API version Meta supports through 2026 (https://developers.facebook.com/docs/graph-api/changelog)
DEFAULT_GRAPH_API_VERSION = "v23.0"

#: throttling: 4 app call limit, 80007 WABA rate limit, 130429 throughput, 131056 pair rate limit
RATE_LIMIT_CODES = frozenset({4, 80007, 130429, 131056})
#: 131047: more than 24 hours since the customer last wrote: only a template may be sent
REENGAGEMENT_CODE = 131047
#: 190 token expired/invalid; 10, 200-299 permission; 0 AuthException; 131005 access denied
AUTH_CODES = frozenset({0, 10, 190, 131005, *range(200, 300)})
#: the message itself is wrong: parameters, recipient, template
RECORD_CODES = frozenset(
	{100, 131008, 131009, 131021, 131026, 131051, 133010, REENGAGEMENT_CODE, *range(132000, 132017)}
)
#: Meta-side trouble worth retrying: 1 unknown, 2 service, 131000 something went wrong, 131016 unavailable
TRANSIENT_CODES = frozenset({1, 2, 131000, 131016})

#: a status may only move forward; "failed" is handled apart (it can follow "sent")
STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3}
