"""``before_tests`` for ``bench run-tests --app scoopjoy``: Frappe runs only the tested app's hooks,
so a fresh site would have no Company. ERPNext's own bootstrap completes the setup wizard."""


def before_tests() -> None:
	from erpnext.setup.utils import before_tests as erpnext_before_tests

	erpnext_before_tests()
