"""A history bounded in count and in bytes: the store for records that grow with what clients send.

Each record is kept as compact JSON text (ASCII), so its size is exact and its
memory close to it (a parsed JSON document of many small items takes many
times its text in Python objects). The oldest records are dropped first when
either bound would be passed; the newest is always kept.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from typing import Any

__all__ = ["BoundedHistory"]


class BoundedHistory:
    """At most ``max_count`` JSON-able records and ``max_bytes`` bytes of their JSON text, oldest first.

    Thread-safe. :attr:`size_bytes` is the JSON text kept; :attr:`dropped`
    counts the records dropped to stay within the bounds since the last clear.
    """

    def __init__(self, max_count: int, max_bytes: int) -> None:
        if max_count < 1 or max_bytes < 1:
            raise ValueError(f"a history needs room for one record, got max_count={max_count}, "
                             f"max_bytes={max_bytes}")
        self.max_count = max_count
        self.max_bytes = max_bytes
        self.size_bytes = 0
        self.dropped = 0
        self._texts: deque[str] = deque()
        self._lock = threading.Lock()

    def append(self, record: Any) -> None:
        """Keep ``record`` (as JSON text), dropping the oldest while a bound is passed."""
        text = json.dumps(record, separators=(",", ":"), allow_nan=False)
        with self._lock:
            self._texts.append(text)
            self.size_bytes += len(text)
            while len(self._texts) > 1 and (len(self._texts) > self.max_count or self.size_bytes > self.max_bytes):
                self.size_bytes -= len(self._texts.popleft())
                self.dropped += 1

    def records(self) -> list[Any]:
        """Fresh copies of the records, oldest first."""
        with self._lock:
            texts = list(self._texts)
        return [json.loads(text) for text in texts]

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._texts.clear()
            self.size_bytes = 0
            self.dropped = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._texts)
