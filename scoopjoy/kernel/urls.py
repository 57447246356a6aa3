"""Rules for URLs people type into Settings."""

from __future__ import annotations

from urllib.parse import urlsplit


def require_https(url: str, *, label: str, allow_http: bool = False) -> str:
	"""Return the URL without a trailing slash, or raise ValueError with a message for a person.

	Credentials travel with every call, so plain http is refused unless the Settings say this is a
	sandbox (a local simulator or a provider's test server).
	"""
	url = (url or "").strip()
	parts = urlsplit(url)
	if parts.scheme not in ("http", "https") or not parts.netloc:
		raise ValueError(f"{label} must be a full URL such as https://api.example.com (got {url!r}).")
	if parts.scheme == "http" and not allow_http:
		raise ValueError(
			f"{label} must use https:// — the API key is sent with every request. "
			"Tick 'Sandbox mode' only for a local simulator or test server."
		)
	if parts.username or parts.password:
		raise ValueError(f"{label} must not contain a user name or password; use the credential fields.")
	return url.rstrip("/")
