"""A backfill window split into slices (scoopjoy/kernel/slices.py), on generated windows and counts:
the slices cover the window exactly, one after the other, so every order is in exactly one; none is
empty; none holds much more than its share."""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoopjoy.kernel.slices import Cell, cells_of, join_cells
from tests.kernel.properties import property_settings

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


@given(
	seconds=st.integers(1, 400 * 86400),
	how_many=st.integers(1, 64),
	counts=st.lists(st.integers(0, 500), min_size=64, max_size=64),
	slices=st.integers(1, 12),
)
@property_settings(200)
def test_slices_cover_the_window_once_none_empty_none_far_above_its_share(seconds, how_many, counts, slices):
	end = START + timedelta(seconds=seconds)
	bounds = cells_of(START, end, how_many)
	assert bounds[0][0] == START and bounds[-1][1] == end
	assert all(b[0] < b[1] and b[0].microsecond == 0 for b in bounds)
	assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
	cells = [Cell(s, e, c) for (s, e), c in zip(bounds, counts, strict=False)]
	total = sum(cell.count for cell in cells)
	joined = join_cells(cells, slices)

	assert joined[0].start == START and joined[-1].end == end
	assert all(a.end == b.start for a, b in itertools.pairwise(joined))
	assert sum(s.count for s in joined) == total
	assert 1 <= len(joined) <= slices
	if total:
		assert all(s.count > 0 for s in joined)
		biggest_cell = max(cell.count for cell in cells)
		assert max(s.count for s in joined) <= math.ceil(total / slices) + biggest_cell
	else:
		assert len(joined) == 1
	# each slice is whole cells: an order's cell decides its slice
	cut_points = {cell.start for cell in cells}
	assert all(s.start in cut_points for s in joined)


def test_a_summer_heavy_year_is_split_by_orders_not_by_months():
	"""Regression: four equal quarters would give one job 90 % of the orders."""
	bounds = cells_of(START, START + timedelta(days=364), 52)
	summer = range(22, 35)
	cells = [Cell(s, e, 90 if week in summer else 3) for week, (s, e) in enumerate(bounds)]
	joined = join_cells(cells, 4)
	assert len(joined) == 4
	total = sum(c.count for c in cells)
	assert max(s.count for s in joined) <= total / 4 + 90


def test_refusals():
	with pytest.raises(ValueError):
		cells_of(START, START, 4)
	with pytest.raises(ValueError):
		join_cells([], 2)
	one = Cell(START, START + timedelta(hours=1), 1)
	gap = Cell(START + timedelta(hours=2), START + timedelta(hours=3), 1)
	with pytest.raises(ValueError):
		join_cells([one, gap], 2)
