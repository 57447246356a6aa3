"""``before_tests`` for ``bench run-tests --app scoopjoy``: Frappe runs only the tested app's hooks,
so a fresh site would have no Company. ERPNext's own bootstrap completes the setup wizard.

Test runs queue integration jobs that no worker runs (tests call the job functions themselves).
On a bench kept between runs (this project's CI machine) they would pile up in RQ and slow every
test that looks at the queues, so this site's ``scoopjoy-*`` jobs are removed first.
"""

import frappe

from scoopjoy.reliability.jobs import site_job_id
from scoopjoy.reliability.runtime import get_redis


def before_tests() -> None:
	from erpnext.setup.utils import before_tests as erpnext_before_tests

	erpnext_before_tests()
	remove_leftover_jobs()


def remove_leftover_jobs() -> int:
	"""Delete this site's waiting ``scoopjoy-*`` jobs (test sites only). Returns how many."""
	from frappe.utils.background_jobs import get_queues

	if not frappe.conf.allow_tests:
		return 0
	prefix = site_job_id("scoopjoy-")
	removed = 0
	for queue in get_queues():
		for job_id in queue.get_job_ids():
			if job_id.startswith(prefix):
				job = queue.fetch_job(job_id)
				job.delete() if job else queue.remove(job_id)
				removed += 1
	return removed


def after_test_run() -> None:
	"""Called by tools/bench_tests.sh before it drops the run's site: nothing of the run may fire
	later. Its queued jobs would run against a dropped site; its breaker, rate-limit, lock and
	incident state lives in the bench's shared Redis under this site's name."""
	if not frappe.conf.allow_tests:
		return
	remove_leftover_jobs()
	redis = get_redis()
	for key in redis.scan_iter(match=f"scoopjoy:*{frappe.local.site}*", count=500):
		redis.delete(key)
