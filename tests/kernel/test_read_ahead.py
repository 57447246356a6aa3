"""Reading ahead (scoopjoy/kernel/read_ahead.py): the caller meets the pages it would have read
itself, in order, a failure after the pages before it; the reader stays within its depth, stops
when the caller stops, and really reads while the caller works."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoopjoy.kernel.read_ahead import read_ahead
from tests.kernel.properties import property_settings


class Boom(Exception):
	pass


class Source:
	"""Pages 0..n-1, failing when asked for page ``fail_at``; counts what it was asked."""

	def __init__(self, n: int, fail_at: int | None = None):
		self.n, self.fail_at = n, fail_at
		self.read = 0
		self.threads: set[str] = set()

	def __call__(self):
		for index in range(self.n):
			self.threads.add(threading.current_thread().name)
			if index == self.fail_at:
				raise Boom(f"page {index}")
			self.read += 1
			yield index


@given(
	n=st.integers(0, 30),
	fail_at=st.one_of(st.none(), st.integers(0, 30)),
	stop_after=st.one_of(st.none(), st.integers(0, 30)),
	depth=st.integers(1, 4),
)
@property_settings(80)
def test_the_caller_meets_the_pages_in_order_a_failure_after_those_before_it(n, fail_at, stop_after, depth):
	source = Source(n, fail_at)
	seen, raised = [], None
	pages = read_ahead(source, depth=depth)
	try:
		for page in pages:
			if stop_after is not None and len(seen) == stop_after:
				break
			seen.append(page)
	except Boom as error:
		raised = error
	finally:
		pages.close()
	failing = fail_at is not None and fail_at < n
	readable = fail_at if failing else n
	if stop_after is not None and stop_after < readable:
		assert seen == list(range(stop_after)) and raised is None
		# the reader stopped: the pages taken (the refused one too), depth waiting, one in its hands
		assert source.read <= (stop_after + 1) + depth + 1
	else:
		assert seen == list(range(readable))
		assert (str(raised) == f"page {fail_at}") if failing else raised is None


def test_the_reader_reads_the_next_page_while_the_caller_works_on_this_one():
	second_read = threading.Event()

	def pages():
		yield 1
		second_read.set()
		yield 2

	reading = read_ahead(pages, depth=1)
	assert next(reading) == 1
	# the caller "books" page 1 and the second page is read meanwhile, not when asked for
	assert second_read.wait(5)
	assert list(reading) == [2]


def test_the_reader_works_inside_its_own_context_in_its_own_thread():
	entered, left = [], []
	source = Source(3)

	@contextmanager
	def connection():
		entered.append(threading.current_thread().name)
		yield
		left.append(threading.current_thread().name)

	assert list(read_ahead(source, context=connection, name="reader-x")) == [0, 1, 2]
	assert entered == left == ["reader-x"] and source.threads == {"reader-x"}


def test_a_context_that_fails_to_open_is_the_callers_error():
	@contextmanager
	def broken():
		raise Boom("no connection")
		yield  # pragma: no cover

	with pytest.raises(Boom, match="no connection"):
		list(read_ahead(Source(2), context=broken))


def test_depth_below_one_is_refused():
	with pytest.raises(ValueError):
		next(read_ahead(Source(1), depth=0))
