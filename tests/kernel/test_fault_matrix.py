"""The fault matrix in quick mode: under every injected fault, no connector loses or duplicates work.

It drives the real kernel (transport, classifier with the provider's rules, Redis breaker and
rate budget) against the real simulators; see tools/fault_matrix.py for what each cell does.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

MATRIX_PATH = Path(__file__).resolve().parents[2] / "tools" / "fault_matrix.py"


@pytest.fixture(scope="module")
def matrix(redis_server):
	spec = importlib.util.spec_from_file_location("scoopjoy_fault_matrix", MATRIX_PATH)
	module = importlib.util.module_from_spec(spec)
	sys.modules[spec.name] = module  # dataclasses look their module up there
	spec.loader.exec_module(module)
	rows = module.build_matrix(quick=True)
	print("\n" + module.markdown(rows))
	return rows


def test_no_cell_loses_or_duplicates_an_operation(matrix):
	bad = [(r.connector, r.fault, r.lost, r.duplicated) for r in matrix if r.lost or r.duplicated]
	assert bad == []


def test_every_connector_meets_every_fault(matrix):
	cells = {(r.connector, r.fault) for r in matrix}
	connectors = {"Shopify", "WhatsApp", "Mobile app", "Google Contacts", "Shipping carrier"}
	faults = {r.fault for r in matrix if r.connector == "Mobile app"}
	assert len(faults) == 8
	assert {(c, f) for c in connectors for f in faults} <= cells
	assert {("Shopify", "duplicate webhook deliveries"), ("WhatsApp", "out-of-order webhooks")} <= cells
	assert ("Shopify", "worker SIGKILLed mid-backfill, restarted") in cells


def test_the_faults_really_bit(matrix):
	"""A matrix where nothing failed would prove nothing: work was dead-lettered and reconciled."""
	by_cell = {(r.connector, r.fault): r for r in matrix}
	assert sum(r.dead_lettered for r in matrix) > 0
	assert by_cell[("WhatsApp", 'timeout, work done before the answer (process="before")')].reconciled > 0
	assert by_cell[("Google Contacts", "worker killed after send, before commit")].reconciled > 0
	assert by_cell[("Mobile app", "expired token (401)")].dead_lettered == 6
	for row in matrix:
		assert row.left_in_dl == 0, f"{row.connector} / {row.fault}: replay after the fault did not succeed"
