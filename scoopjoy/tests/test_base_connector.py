"""BaseConnector on a real site: calls are logged (masked), failures reach the Error Log with a
readable title and survive a rollback, a dead service is not hammered, a disabled connector says so."""

import frappe

from scoopjoy.connectors.base import ConnectorDisabledError
from scoopjoy.kernel.errors import AuthError, CircuitOpenError, TransientError
from scoopjoy.reliability.errors import user_facing_errors
from scoopjoy.tests.simulators import Fault, GenericJsonApi
from scoopjoy.tests.utils import TEST_TOKEN, EchoConnector, ScoopJoyTestCase, request_logs


class TestBaseConnector(ScoopJoyTestCase):
	def setUp(self):
		self.api = GenericJsonApi(token=TEST_TOKEN, items=3).start()
		self.connector = EchoConnector(self.api.url)
		self.connector.breaker.reset()

	def tearDown(self):
		self.connector.breaker.reset()
		self.api.stop()

	def test_a_successful_call_is_logged_without_the_token(self):
		data = self.connector.get("/v1/items/2")
		self.assertEqual(data["item"]["id"], 2)
		log = request_logs()[0]
		self.assertEqual(log.outcome, "Success")
		self.assertEqual(log.status_code, 200)
		self.assertEqual(log.method, "GET")
		self.assertTrue(log.correlation_id)
		self.assertNotIn(TEST_TOKEN, log.request_headers)
		self.assertIn("Bearer ****", log.request_headers)

	def test_a_failed_call_goes_to_the_error_log_with_a_readable_title(self):
		self.api.faults.add(Fault.status_code(503, times=None))
		with self.assertRaises(TransientError):
			self.connector.get("/v1/items/1")
		self.assertEqual(self.api.count("GET", "/v1/items/1"), 3)  # 1 + max_retries
		log = request_logs()[0]
		self.assertEqual((log.outcome, log.failure_type, log.attempts), ("Failed", "transient", 3))
		error = frappe.get_all(
			"Error Log", filters={"method": ["like", "Echo Test:%"]}, fields=["method", "error"], limit=1
		)[0]
		self.assertLessEqual(len(error.method), 140)
		self.assertIn("/v1/items/1", error.method)
		self.assertIn("503", error.method)
		self.assertNotIn(TEST_TOKEN, error.error)

	def test_logs_of_a_rolled_back_job_are_written_again(self):
		self.api.faults.add(Fault.status_code(500, times=None))
		with self.assertRaises(TransientError):
			self.connector.get("/v1/items/3")
		correlation_id = request_logs()[0].correlation_id
		frappe.db.rollback()  # what the job runner does when the job fails
		self.assertTrue(frappe.db.exists("Connector Request Log", {"correlation_id": correlation_id}))

	def test_auth_failure_opens_the_circuit_for_every_later_call(self):
		self.api.faults.add(Fault.unauthorized(times=1))
		with self.assertRaises(AuthError):
			self.connector.get("/v1/items/1")
		with self.assertRaises(CircuitOpenError):
			EchoConnector(self.api.url).get("/v1/items/1")  # a new instance: state is in Redis
		self.assertEqual(self.api.count(), 1)

	def test_desk_callers_get_a_message_not_a_traceback(self):
		self.api.faults.add(Fault.unauthorized(times=1))
		with self.assertRaises(frappe.ValidationError) as caught, user_facing_errors():
			self.connector.get("/v1/items/1")
		self.assertIn("credentials", str(caught.exception))

	def test_a_disabled_connector_sends_nothing_and_says_so(self):
		class DisabledEcho(EchoConnector):
			def is_enabled(self):
				return False

		with self.assertRaises(ConnectorDisabledError) as caught:
			DisabledEcho(self.api.url).get("/v1/ping")
		self.assertIn("disabled", str(caught.exception))
		self.assertEqual(self.api.count(), 0)

	def test_connection_test_is_a_real_call(self):
		self.assertIn("Connected", self.connector.test_connection())
		self.assertEqual(self.api.count("GET", "/v1/ping"), 1)

	def test_rescuing_logs_does_not_swallow_other_rollback_callbacks(self):
		self.api.faults.add(Fault.status_code(500, times=None))
		with self.assertRaises(TransientError):
			self.connector.get("/v1/items/3")
		ran = []
		frappe.db.after_rollback.add(lambda: ran.append("other app's callback"))
		frappe.db.rollback()
		self.assertEqual(ran, ["other app's callback"])

	def test_a_log_naming_a_rolled_back_document_is_still_rescued(self):
		self.api.faults.add(Fault.status_code(500, times=None))
		with self.assertRaises(TransientError):
			self.connector.get("/v1/items/3", reference=("Sales Order", "SAL-ORD-GONE-0001"))
		correlation_id = request_logs()[0].correlation_id
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.get_value(
				"Connector Request Log", {"correlation_id": correlation_id}, "reference_name"
			),
			"SAL-ORD-GONE-0001",
		)
