"""Per-token rate limiting: a token bucket for each sender, kept in this process's memory.

Each server process keeps its own buckets, so with N processes a token may send up to N times
the configured rate: the limit protects the service from one runaway sender, it is not a quota.
The buckets are bounded in number, so a flood of made-up tokens cannot fill the memory.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

MAX_BUCKETS = 10_000


class RateLimiter:
    """`take(key)` answers 0 when the request may pass, else the seconds to wait before retrying."""

    def __init__(
        self, per_second: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = per_second
        self._burst = max(1, burst)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at

    @property
    def enabled(self) -> bool:
        return self._rate > 0

    def take(self, key: str) -> int:
        if not self.enabled:
            return 0
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.pop(key, (float(self._burst), now))
            tokens = min(float(self._burst), tokens + (now - at) * self._rate)
            passes = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if passes else tokens, now)
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)  # the longest idle: its bucket is refilled
        return 0 if passes else max(1, math.ceil((1.0 - tokens) / self._rate))
