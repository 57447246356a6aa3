"""The site as gunicorn serves it in production, plus its static files (for the browser tests only).

``frappe.app:application`` does not serve ``/assets`` or ``/files`` (nginx does that in
production; ``bench serve`` does it but listens on 0.0.0.0). Run from the bench's ``sites/``:

    gunicorn -b 127.0.0.1:PORT scoopjoy.tests.browser.wsgi:application

with ``SCOOPJOY_BROWSER_SITE`` naming the site whose ``public/files`` are served under ``/files``.
"""

import os

from frappe.app import application as frappe_application
from werkzeug.middleware.shared_data import SharedDataMiddleware

_sites = os.path.abspath(os.environ.get("SITES_PATH", "."))
_site = os.environ.get("SCOOPJOY_BROWSER_SITE", "")

application = SharedDataMiddleware(
	frappe_application,
	{
		"/assets": os.path.join(_sites, "assets"),
		"/files": os.path.join(_sites, _site, "public", "files"),
	},
)
