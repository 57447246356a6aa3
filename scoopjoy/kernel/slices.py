"""Splitting a time window into slices of about equal work, for jobs that run side by side.

Why by counts and not by equal times: an ice-cream shop sells in summer, so a year split into four
equal quarters gives one job most of the orders and leaves the other workers idle. The window is
first cut into many equal cells whose counts the provider gives in one call; consecutive cells are
then joined into slices of about ``total ÷ slices`` items each. A cell is never cut, so a slice is
at most one cell's count above its share.

The slices are consecutive half-open intervals ``[start, end)`` covering the window exactly: every
item of the window is in exactly one slice, whatever the counts were.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import NamedTuple


class Cell(NamedTuple):
	start: datetime
	end: datetime  # exclusive
	count: int


def cells_of(start: datetime, end: datetime, how_many: int) -> list[tuple[datetime, datetime]]:
	"""``[start, end)`` cut into at most ``how_many`` consecutive cells of about equal length, on
	whole seconds (the provider's search reads times to the second)."""
	if end <= start:
		raise ValueError("the window ends before it starts")
	seconds = int((end - start).total_seconds())
	how_many = max(1, min(how_many, seconds))
	bounds = [start + timedelta(seconds=seconds * i // how_many) for i in range(how_many)] + [end]
	return [(bounds[i], bounds[i + 1]) for i in range(how_many)]


def join_cells(cells: list[Cell], slices: int) -> list[Cell]:
	"""Consecutive ``cells`` joined into at most ``slices`` slices of about equal counts, none empty
	(a window without items is one slice)."""
	if not cells:
		raise ValueError("no cells to join")
	for before, after in itertools.pairwise(cells):
		if before.end != after.start:
			raise ValueError("the cells are not consecutive")
	total = sum(cell.count for cell in cells)
	slices = max(1, slices)
	joined: list[Cell] = []
	start, count, done = cells[0].start, 0, 0
	for index, cell in enumerate(cells):
		count += cell.count
		done += cell.count
		last = index == len(cells) - 1
		# cut once this slice holds its share of what is left for the slices still to make
		share_reached = len(joined) < slices - 1 and count > 0 and done * slices >= total * (len(joined) + 1)
		if share_reached or last:
			joined.append(Cell(start, cell.end, count))
			start, count = cell.end, 0
	if len(joined) > 1 and joined[-1].count == 0:  # empty cells at the end belong to the last slice
		empty = joined.pop()
		joined[-1] = Cell(joined[-1].start, empty.end, joined[-1].count)
	return joined
