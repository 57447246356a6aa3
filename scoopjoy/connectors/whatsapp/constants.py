"""WhatsApp Cloud API constants: names, the Graph API version, Meta's error codes, status order.

Why a table of codes: Meta answers most refusals with HTTP 400 whatever the cause (a throughput
limit, an unknown template, a closed 24-hour window), and a few with a status that misleads
(code 3, a permissions problem, comes as HTTP 500). What to do next depends on ``error.code``,
which Meta itself recommends building error handling on.

Codes: https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
(now also at https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes).
Pure Python: no frappe.
"""

SERVICE_NAME = "WhatsApp"
SETTINGS_DOCTYPE = "WhatsApp Settings"
GRAPH_BASE_URL = "https://graph.facebook.com"

#: Released 29 May 2025 and available until 8 Oct 2027 per Meta's version table
#: (https://developers.facebook.com/docs/graph-api/changelog/versions/), so it is supported
#: throughout late 2026. It is also the default of WhatsApp Settings' "Graph API Version" field.
DEFAULT_GRAPH_API_VERSION = "v23.0"

#: https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
MESSAGING_PRODUCT = "whatsapp"
WEBHOOK_OBJECT = "whatsapp_business_account"

# --- Meta error codes ------------------------------------------------------------------------------

#: Throttling: wait and retry.
#:   4       API Too Many Calls: the app reached its Graph API call rate limit
#:   80007   Rate limit issues: the WhatsApp Business Account reached its rate limit
#:   130429  Rate limit hit: the phone number's Cloud API message throughput was reached
#:   131056  (Business Account, Consumer Account) pair rate limit hit: too many messages to the
#:           same customer in a short time
RATE_LIMIT_CODES = frozenset({4, 80007, 130429, 131056})

#: 131047 Re-engagement message: more than 24 hours since the customer last wrote, so only an
#: approved template may be sent (free text needs an open customer service window).
REENGAGEMENT_CODE = 131047

#: The token or its permissions: no retry, alert a person.
#:   0       AuthException: the app user could not be authenticated
#:   3       API Method: capability or permissions issue (Meta answers it with HTTP 500)
#:   10      Permission denied: a permission was not granted or was removed
#:   190     Access token has expired (or was invalidated)
#:   200-299 API Permission: a permission was not granted or was removed
#:   131005  Access denied: permission not granted or removed
AUTH_CODES = frozenset({0, 3, 10, 190, 131005, *range(200, 300)})

#: The message itself was refused; fix the record (number, parameters), do not retry as is.
#:   100     Invalid parameter (unsupported or misspelled parameter; also "Param text cannot
#:           have new-line/tab characters or more than 4 consecutive spaces")
#:   131008  Required parameter is missing
#:   131009  Parameter value is not valid
#:   131021  Recipient cannot be sender
#:   131026  Message undeliverable (not on WhatsApp, old app, terms not accepted)
#:   131030  Recipient phone number not in allowed list (test numbers of a development app)
#:   131049  Meta chose not to deliver (ecosystem protection / marketing per-user limit)
#:   131050  The customer stopped marketing messages
#:   131051  Unsupported message type
#:   131052  Media download error, 131053 media upload error
INVALID_PARAMETER_CODES = frozenset(
	{100, 131008, 131009, 131021, 131026, 131030, 131049, 131050, 131051, 131052, 131053}
)

#: Template problems (132000 parameter count mismatch, 132001 template does not exist in this
#: language, 132005 translated text too long, 132007 format character policy violated,
#: 132012 parameter format mismatch, 132015 template paused, 132016 template disabled,
#: 132018 issue with the template's parameters). Refused per message: a record problem.
TEMPLATE_CODES = frozenset(range(132000, 132019))

#: Everything sorted as "this record": skip, dead-letter, keep the run going.
RECORD_CODES = frozenset({REENGAGEMENT_CODE, *INVALID_PARAMETER_CODES, *TEMPLATE_CODES})

#: The account or the business number must be fixed by a person; every send would fail.
#:   33      The business phone number has been deleted (also code 100 with error_subcode 33:
#:           "object does not exist", i.e. a wrong phone number id)
#:   368     Temporarily blocked for policy violations
#:   131031  Business account has been locked
#:   131042  Business eligibility payment issue
#:   131045  Incorrect certificate (phone number not registered / display name not approved)
#:   131048  Spam rate limit hit: sending is restricted because of the number's quality
#:   133010  Phone number not registered: the BUSINESS number is not registered on Cloud API
#:           (listed by some as a parameter error; it concerns our number, not the customer's)
CONFIG_CODES = frozenset({33, 368, 131031, 131042, 131045, 131048, 133010})
#: ``error_subcode`` that turns code 100 into a configuration problem (unknown phone number id)
OBJECT_DOES_NOT_EXIST_SUBCODE = 33

#: Meta-side trouble worth retrying with backoff.
#:   1       API Unknown: invalid request or possible server error
#:   2       API Service: temporary downtime or overload
#:   131000  Something went wrong
#:   131016  Service unavailable
TRANSIENT_CODES = frozenset({1, 2, 131000, 131016})

#: Seconds to wait before retrying when Meta gives no Retry-After: throughput is per second
#: (https://developers.facebook.com/docs/whatsapp/throughput), the pair rate about one message
#: every 6 seconds to the same customer, app/account limits recover over minutes.
RETRY_AFTER_HINTS = {130429: 1.0, 131056: 6.0, 4: 60.0, 80007: 60.0}

#: Messages per second a business number may send by default (Cloud API throughput).
DEFAULT_THROUGHPUT_PER_SECOND = 80

# --- limits on what we send ---------------------------------------------------------------------

#: text.body of a text message: https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages#text-object
MAX_TEXT_BODY = 4096
#: A template's rendered body may have at most 1024 characters; each parameter is kept well under.
MAX_TEMPLATE_PARAMETER = 250
#: E.164 (https://www.itu.int/rec/T-REC-E.164): at most 15 digits with the country code; fewer
#: than 8 is not a mobile number anywhere we sell.
MIN_PHONE_DIGITS = 8
MAX_PHONE_DIGITS = 15
#: Free text is allowed for 24 hours after the customer's last message (customer service window).
CUSTOMER_SERVICE_WINDOW_SECONDS = 24 * 3600

# --- message statuses (webhooks) -----------------------------------------------------------------

#: A status may only move forward: sent < delivered < read. Meta delivers status webhooks late,
#: twice and out of order, and may skip "delivered" when a message is read at once.
#: https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples
STATUS_ORDER = {"sent": 1, "delivered": 2, "read": 3}
#: Kept for callers that use the older name.
STATUS_RANK = STATUS_ORDER
#: "failed" is outside the order: it applies over "sent" (the message never arrived) but never
#: over "delivered"/"read" (the customer has it; a late failure from another device is noise).
#: After "failed", a delivered/read report applies only when its timestamp is newer.
FAILED_STATUS = "failed"
STATUSES_THAT_BEAT_FAILED = frozenset({"delivered", "read"})
KNOWN_STATUSES = frozenset({*STATUS_ORDER, FAILED_STATUS})
