"""Google People API constants. Pure Python: no frappe.

Reference: https://developers.google.com/people/api/rest/v1/people
"""

SERVICE_NAME = "Google Contacts"
SETTINGS_DOCTYPE = "Google Contacts Settings"
PEOPLE_API_URL = "https://people.googleapis.com"

#: https://developers.google.com/people/api/rest/v1/people/batchCreateContacts
#: "allows up to 200 contacts in a single request"
MAX_BATCH_CREATE = 200
BATCH_CREATE_PATH = "/v1/people:batchCreateContacts"
#: https://developers.google.com/people/api/rest/v1/people/updateContact
UPDATE_PATH = "/v1/{resource_name}:updateContact"
#: https://developers.google.com/people/api/rest/v1/people/get
GET_PATH = "/v1/{resource_name}"
#: https://developers.google.com/people/api/rest/v1/people.connections/list
CONNECTIONS_PATH = "/v1/people/me/connections"
CONNECTIONS_PAGE_SIZE = 1000  # the maximum Google accepts

#: the fields we write, and read back (metadata carries the etag's source)
WRITTEN_FIELDS = ("names", "emailAddresses", "phoneNumbers", "organizations", "clientData")
UPDATE_PERSON_FIELDS = ",".join(WRITTEN_FIELDS)
READ_MASK = ",".join((*WRITTEN_FIELDS, "metadata"))

#: clientData key (private to our OAuth client) holding the ERPNext Customer name; lets a run find
#: the contacts an interrupted batch created, instead of creating them again
CLIENT_DATA_KEY = "scoopjoy_customer"

#: google.rpc.Code names Google puts in ``error.status``
#: https://cloud.google.com/apis/design/errors#handling_errors
STATUS_RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
STATUS_UNAUTHENTICATED = "UNAUTHENTICATED"
STATUS_PERMISSION_DENIED = "PERMISSION_DENIED"
STATUS_FAILED_PRECONDITION = "FAILED_PRECONDITION"
STATUS_NOT_FOUND = "NOT_FOUND"
STATUS_INVALID_ARGUMENT = "INVALID_ARGUMENT"
STATUS_UNAVAILABLE = "UNAVAILABLE"

#: seconds to wait after a 429 that names no Retry-After: Google's People API quotas are per
#: minute ("Critical write requests per minute per user"), so waiting a while is the advice of
#: https://developers.google.com/people/v1/troubleshoot-authentication-authorization#quota
DEFAULT_QUOTA_WAIT_SECONDS = 10.0
#: 429s absorbed inside one batch create (nothing is created on a 429, so resending is safe)
MAX_QUOTA_WAITS = 3
