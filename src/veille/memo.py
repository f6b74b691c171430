"""What a worker keeps between requests: values keyed by everything they are made of.

A key holds the inputs of a computation and a fingerprint of the records it reads, so a value
is never stale: a change to the records makes another key, and the old one ages out of the
bounded store. Requests asking at the same moment for a value not kept yet wait for the first
one to compute it (ten connections asking for a metropolis's statistics compute them once).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Memo(Generic[V]):
    """At most ``size`` values, the least recently used forgotten first; safe across threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def _kept(self, key: Hashable) -> tuple[bool, V | None]:
        if key in self._values:
            self._values.move_to_end(key)
            return True, self._values[key]
        return False, None

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        with self._lock:
            found, value = self._kept(key)
            if found:
                return value  # type: ignore[return-value]
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            with self._lock:
                found, value = self._kept(key)
            if found:
                return value  # type: ignore[return-value]
            fresh = compute()
            with self._lock:
                self._values[key] = fresh
                while len(self._values) > self._size:
                    self._values.popitem(last=False)
                self._computing.pop(key, None)
        return fresh
