"""Login throttling: growing delays per client address and per account, never a lockout.

Each key (a client address, an account name, a trusted device) counts its failed logins. The first ``free``
failures cost nothing; after that each failure makes the next attempt wait ``base`` seconds, then twice as long,
up to ``cap``. An attempt made while its wait runs is refused *before the password is checked* (the page says
how many seconds are left; the API answers 429 with ``Retry-After``) and does not count as a failure, so the
wait is known in advance and, once it has passed, the right password works. A key is forgotten ``RESET``
seconds after its last failure.

Someone guessing an administrator's password from elsewhere slows down the account, but cannot lock its owner
out: a browser that has logged in as an account before holds a *device cookie* for it (OWASP's "device cookies"
against online guessing), and its attempts on that account count against that device only, never against the
address or the account. Everyone else waits at most ``ACCOUNT.cap`` seconds between attempts.

State is kept in memory by the one ``chiso serve`` process (a restart forgets it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    free: int  # failures allowed without any wait
    base: float  # seconds to wait after the first failure beyond ``free``
    cap: float  # the longest wait

    def delay(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return float(min(self.cap, self.base * 2 ** min(failures - self.free, 32)))


# An office shares one address behind its router: more free failures, a longer cap (a guessing machine).
ADDRESS = Rule(free=10, base=1.0, cap=300.0)
ACCOUNT = Rule(free=5, base=1.0, cap=60.0)
DEVICE = Rule(free=5, base=1.0, cap=60.0)
RESET = 15 * 60.0
MAX_KEYS = 50_000

Key = tuple[str, str]  # ("address", "10.0.0.7"), ("account", "quantri"), ("device", "<id>")


@dataclass
class _Count:
    failures: int = 0
    last: float = 0.0
    announced: int = -1  # the failure count at which a refusal was last written to the audit log


class Throttle:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: dict[Key, _Count] = {}

    @staticmethod
    def rule(key: Key) -> Rule:
        return {"address": ADDRESS, "account": ACCOUNT, "device": DEVICE}[key[0]]

    def _live(self, key: Key, now: float) -> _Count | None:
        count = self._counts.get(key)
        if count is not None and now - count.last > RESET:
            del self._counts[key]
            return None
        return count

    def wait(self, keys: Iterable[Key]) -> float:
        """Seconds before an attempt under ``keys`` may be checked (0: now)."""
        now = self.clock()
        longest = 0.0
        with self._lock:
            for key in keys:
                count = self._live(key, now)
                if count is not None:
                    longest = max(longest, count.last + self.rule(key).delay(count.failures) - now)
        return max(longest, 0.0)

    def first_refusal(self, keys: Iterable[Key]) -> bool:
        """True once per failure: whether a refusal under ``keys`` is worth an audit line."""
        with self._lock:
            fresh = False
            for key in keys:
                count = self._counts.get(key)
                if count is not None and count.announced != count.failures:
                    count.announced = count.failures
                    fresh = True
            return fresh

    def failed(self, keys: Iterable[Key]) -> None:
        now = self.clock()
        with self._lock:
            if len(self._counts) >= MAX_KEYS:
                self._prune(now)
            for key in keys:
                count = self._live(key, now) or self._counts.setdefault(key, _Count())
                count.failures += 1
                count.last = now

    def succeeded(self, keys: Iterable[Key]) -> None:
        """The right password: the account's and the device's failures are forgotten (not the address's)."""
        with self._lock:
            for key in keys:
                if key[0] != "address":
                    self._counts.pop(key, None)

    def _prune(self, now: float) -> None:
        for key in [k for k, c in self._counts.items() if now - c.last > RESET]:
            del self._counts[key]
        if len(self._counts) >= MAX_KEYS:  # a flood of distinct names: keep the newest half
            newest = sorted(self._counts.items(), key=lambda kv: kv[1].last)[len(self._counts) // 2 :]
            self._counts = dict(newest)
