"""pyproject.toml says what bench needs to install the app (`bench get-app /path/to/scoopjoy`).

bench reads ``[tool.bench.frappe-dependencies]`` with ``semantic_version.SimpleSpec`` and checks the
versions of the bench's frappe and erpnext against it; a range SimpleSpec cannot parse stops
``get-app`` with ``ValueError: Invalid simple block``. The bench tier runs the real ``bench get-app``
too (tools/bench_tests.sh); this catches a bad range on a machine without a bench.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import semantic_version as sv

try:
	import tomllib
except ImportError:  # Python 3.10
	tomllib = pytest.importorskip("tomli")

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _frappe_dependencies() -> dict[str, str]:
	with PYPROJECT.open("rb") as f:
		return tomllib.load(f)["tool"]["bench"]["frappe-dependencies"]


def test_frappe_dependencies_are_ranges_bench_can_read():
	deps = _frappe_dependencies()
	assert set(deps) == {"frappe", "erpnext"}
	for spec in deps.values():
		sv.SimpleSpec(spec)  # what bench.app.validate_dependency does; raises on a bad range


def test_the_supported_versions_are_inside_the_ranges_and_the_next_major_is_not():
	for app, spec in _frappe_dependencies().items():
		simple = sv.SimpleSpec(spec)
		# the versions the README says the app was tested on, and a v16 development build
		for version in ("15.0.0", "15.72.4", "15.71.1", "16.9.0", "16.9.1", "16.0.0-dev"):
			assert sv.Version(version) in simple, f"{app} {version} not in {spec}"
		for version in ("14.99.0", "17.0.0"):
			assert sv.Version(version) not in simple, f"{app} {version} in {spec}"
