"""Reading the next pages while the caller works on this one.

Why: an import alternates between waiting for the provider (a page of orders, its money) and
booking what it read. Read in a thread of its own, a few pages ahead, the waiting hides behind the
booking; the pages still reach the caller one at a time and in order, so a checkpoint committed
after a page means what it meant before.

What the reader may do is bounded: at most ``depth`` pages wait unconsumed (the provider's budget
is spent only for pages about to be used), and when the caller stops early (an error, a page it
refuses, a generator closed) the reader stops after the page in hand. A reader's failure reaches
the caller where it happened: after every page read before it, never instead of them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import TypeVar

T = TypeVar("T")

#: how long the caller's close waits for the reader to notice and finish its page
STOP_WAIT_SECONDS = 60.0

_END = object()


class _Failed:
	def __init__(self, error: BaseException):
		self.error = error


def read_ahead(
	pages: Callable[[], Iterable[T]],
	*,
	depth: int = 2,
	context: Callable[[], AbstractContextManager] | None = None,
	name: str = "read-ahead",
) -> Iterator[T]:
	"""Yield what ``pages()`` yields, read by a thread up to ``depth`` items ahead.

	``context`` is entered in the reader's thread around the whole reading (a database connection
	of its own, say); ``pages`` is called inside it, so everything it touches belongs to that thread.
	"""
	if depth < 1:
		raise ValueError("depth must be at least 1")
	waiting: queue.Queue = queue.Queue(maxsize=depth)
	stop = threading.Event()

	def put(item) -> bool:
		"""Hand an item over, unless the caller stopped; False when it did."""
		while not stop.is_set():
			try:
				waiting.put(item, timeout=0.1)
				return True
			except queue.Full:
				continue
		return False

	def reader() -> None:
		try:
			with (context or nullcontext)():
				for page in pages():
					if not put(page):
						return
		except BaseException as error:
			put(_Failed(error))
			return
		put(_END)

	thread = threading.Thread(target=reader, name=name, daemon=True)
	thread.start()
	try:
		while True:
			item = waiting.get()
			if item is _END:
				return
			if isinstance(item, _Failed):
				raise item.error
			yield item
	finally:
		stop.set()
		thread.join(timeout=STOP_WAIT_SECONDS)
