"""The bench half of the fault matrix, quick mode: under every injected fault the Shopify order
import on a real site (poll, webhook inbox + jobs, backfill) loses no order and makes no document
twice, and every fault really happened (a cell where nothing failed would prove nothing).
See scoopjoy/tests/fault_matrix_bench.py for what each cell does."""

from scoopjoy.tests import fault_matrix_bench
from scoopjoy.tests.utils import ScoopJoyTestCase

HTTP_FAULTS = {
	"5xx burst (503)",
	"timeout past the read limit",
	"connection reset",
	"429 storm (Retry-After: 1)",
	"THROTTLED storm (cost bucket drained)",
	"malformed JSON (HTTP 200)",
	"expired / revoked token (401)",
}
OTHER_FAULTS = {
	"duplicate webhook deliveries",
	"out-of-order webhooks",
	"worker SIGKILLed between pages, restarted",
	"two stores: one throttled and failing, one calm",
}


class TestFaultMatrixBench(ScoopJoyTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rows = fault_matrix_bench.run(quick=True)
		cls.by_fault = {row["fault"]: row for row in cls.rows}

	def test_no_cell_loses_or_duplicates_an_order(self):
		bad = [
			(r["path"], r["fault"], r["lost"], r["duplicated"], r["notes"])
			for r in self.rows
			if r["lost"] or r["duplicated"]
		]
		self.assertEqual(bad, [])

	def test_every_fault_meets_the_import_and_really_fires(self):
		self.assertEqual(set(self.by_fault), HTTP_FAULTS | OTHER_FAULTS)
		self.assertEqual({r["path"] for r in self.rows}, {"poll", "webhook", "backfill"})
		self.assertEqual([r["fault"] for r in self.rows if not r["attempted"]], [])
		self.assertEqual([r["fault"] for r in self.rows if r["faults_fired"] < 1], [])

	def test_faults_that_outlast_the_retries_are_dead_lettered_then_replayed(self):
		for fault in (
			"5xx burst (503)",
			"timeout past the read limit",
			"connection reset",
			"malformed JSON (HTTP 200)",
			"expired / revoked token (401)",
		):
			row = self.by_fault[fault]
			self.assertGreater(row["dead_lettered"], 0, fault)
			self.assertLess(row["succeeded"], row["attempted"], fault)
		for row in self.rows:
			self.assertEqual(row["replayed"], row["dead_lettered"], row["fault"])
			self.assertEqual(row["left_in_dl"], 0, row["fault"])

	def test_webhook_duplicates_and_stale_states_are_refused(self):
		duplicates = self.by_fault["duplicate webhook deliveries"]
		self.assertGreaterEqual(duplicates["faults_fired"], 3 * duplicates["attempted"])
		stale = self.by_fault["out-of-order webhooks"]
		self.assertEqual(stale["faults_fired"], stale["attempted"])  # every early state refused

	def test_two_stores_at_once_one_in_trouble_does_not_starve_the_other(self):
		row = self.by_fault["two stores: one throttled and failing, one calm"]
		calm = row["attempted"] // 2
		self.assertIn(f"the calm store: {calm} of {calm} on the first pass, 0 THROTTLED", row["notes"])
		self.assertIn(f"{calm} order id(s) in both stores", row["notes"])
		self.assertGreater(row["faults_fired"], 0)
		self.assertGreater(row["dead_lettered"], 0)  # the troubled store's work waited in dead letters
		self.assertEqual((row["lost"], row["duplicated"], row["left_in_dl"]), (0, 0, 0))

	def test_a_killed_backfill_resumes_and_imports_the_rest(self):
		killed = self.by_fault["worker SIGKILLed between pages, restarted"]
		self.assertLess(killed["succeeded"], killed["attempted"])  # killed before the end
		self.assertIn("restarted: 'Completed'", killed["notes"])
