"""The one Hypothesis budget of the kernel's property tests: a fixed seed (derandomize) and a fixed
number of examples in CI; ``SCOOPJOY_HYPOTHESIS_EXAMPLES`` raises it for a longer hunt."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings


def property_settings(default_examples: int) -> settings:
	return settings(
		max_examples=int(os.environ.get("SCOOPJOY_HYPOTHESIS_EXAMPLES", str(default_examples))),
		deadline=None,
		database=None,
		derandomize=True,
		suppress_health_check=[
			HealthCheck.too_slow,
			HealthCheck.data_too_large,
			HealthCheck.function_scoped_fixture,
		],
	)
