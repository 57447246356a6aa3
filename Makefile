# The test command (README, .ci/run): everything a fresh machine needs is installed here.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: test kernel-test lint static bench-test benchmark clean

test: lint static kernel-test bench-test

$(PY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]" ruff==0.17.6
	touch $(PY)

lint: $(PY)
	$(VENV)/bin/ruff check scoopjoy tests tools benchmarks
	$(VENV)/bin/ruff format --check scoopjoy tests tools benchmarks

static: $(PY)
	$(PY) tools/check_frappe_layer.py

kernel-test: $(PY)
	$(PY) -m pytest tests

# Runs Frappe's own test runner on a real bench when one is on this machine (see tools/bench_tests.sh).
bench-test:
	bash tools/bench_tests.sh

benchmark: $(PY)
	$(PY) benchmarks/kernel_vs_requests.py
	$(PY) benchmarks/shopify_backfill.py

.PHONY: fault-matrix fault-matrix-bench benchmark-report

# Connector x fault -> attempted, dead-lettered, reconciled, lost, duplicated (tools/fault_matrix.py).
fault-matrix: $(PY)
	$(PY) tools/fault_matrix.py

# The bench half: Shopify orders into ERPNext (poll, webhooks, backfill) under the same faults, on a
# test site of a real bench (scoopjoy/tests/fault_matrix_bench.py). SCOOPJOY_BENCH defaults to ~/frappe-bench.
fault-matrix-bench:
	cd "$${SCOOPJOY_BENCH:-$$HOME/frappe-bench}/sites" && ../env/bin/python -m frappe.utils.bench_helper frappe \
		--site "$${SCOOPJOY_SITE:?set SCOOPJOY_SITE to a site with allow_tests}" execute scoopjoy.tests.fault_matrix_bench.run

# Shopify order import vs raw ERPNext insert+submit on a test site of a real bench (benchmarks/order_import.py).
.PHONY: benchmark-order-import
benchmark-order-import: $(PY)
	$(PY) benchmarks/order_import.py

# A burst of signed Shopify webhooks into a real bench with 1 and 2 workers, against the poll
# (benchmarks/webhook_burst.py); needs SCOOPJOY_SITE like the order import.
.PHONY: benchmark-webhook-burst
benchmark-webhook-burst: $(PY)
	$(PY) benchmarks/webhook_burst.py

# Import Catalog read page by page vs as one bulk query, and the whole import by each path, on a
# real bench (benchmarks/catalog_import.py); needs SCOOPJOY_SITE like the order import.
.PHONY: benchmark-catalog-import
benchmark-catalog-import: $(PY)
	$(PY) benchmarks/catalog_import.py

# A backfill of N Shopify orders on 1 and 2 RQ workers against raw ERPNext making the same documents
# in jobs on the same workers (benchmarks/backfill_workers.py); needs SCOOPJOY_SITE like the order import.
.PHONY: benchmark-backfill-workers
benchmark-backfill-workers: $(PY)
	$(PY) benchmarks/backfill_workers.py

# The benchmarks as one table of ratios, also written to benchmarks/REPORT.md.
benchmark-report: $(PY)
	$(PY) benchmarks/report.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
