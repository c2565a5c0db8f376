"""Counting attempts and failures (wrong keys, bad logins, probes) in a window, in memory or in
Redis.

A guessable target (an account, an order) is counted per (target, client address) at the
user-facing threshold, so guessing from elsewhere never locks the rightful user out, plus a much
higher per-target ceiling that only stops guessing spread over many addresses (`Guard`).

Two ways to count, both atomic in the storage (a lock in memory, a script in Redis):
- `fail` after the fact (a failed sign-in): a check then a count, so N parallel attempts can
  all pass the check; fine where only failures may be counted (successful sign-ins are many).
- `take` before the fact (an 操作密钥 guess): the attempt takes a slot first and is decided
  after, so N parallel attempts never get more than the limit's slots between them.

Keys are hashed before they reach the storage: a key built from user text (a lone surrogate
from JSON cannot even be encoded for Redis) is then always a short, valid one.
"""
import hashlib
import time
from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


def init_app(app: Flask) -> None:
    uri = app.config.get("REDIS_URL") or "memory://"
    app.extensions["failure_limiter"] = MovingWindowRateLimiter(storage_from_string(uri))


def retry_minutes(seconds: int) -> int:
    """Whole minutes to tell the user to wait, never 0."""
    return max(1, (seconds + 59) // 60)


def storage_key(key: str) -> str:
    """The key as stored: a hash of the text (any text, even one that cannot be encoded)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]


@dataclass(frozen=True)
class FailureLimit:
    """At most `limit` counts per `window` seconds for each key in a namespace."""

    namespace: str
    limit: int
    window: int

    def _item(self):
        return RateLimitItemPerSecond(self.limit, self.window, namespace=self.namespace)

    @staticmethod
    def _strategy() -> MovingWindowRateLimiter:
        return current_app.extensions["failure_limiter"]

    def _wait(self, stored: str) -> int:
        reset = self._strategy().get_window_stats(self._item(), stored).reset_time
        return max(1, int(reset - time.time()) + 1)

    def blocked(self, *keys: str) -> int | None:
        """Seconds until retry when any key has used up its count, else None."""
        waits = []
        for key in keys:
            stored = storage_key(key)
            if not self._strategy().test(self._item(), stored):
                waits.append(self._wait(stored))
        return max(waits) if waits else None

    def fail(self, *keys: str) -> None:
        """Count one failure against every key (a key already used up stays so)."""
        for key in keys:
            self._strategy().hit(self._item(), storage_key(key))

    def take(self, *keys: str) -> int | None:
        """Count this attempt against every key first, atomically per key; the seconds to wait
        when a key had no count left (the attempt is then refused), else None."""
        waits = []
        for key in keys:
            stored = storage_key(key)
            if not self._strategy().hit(self._item(), stored):
                waits.append(self._wait(stored))
        return max(waits) if waits else None

    def seen(self, key: str) -> bool:
        """Whether `key` was counted in the window (a limit of 1 remembers a set of keys)."""
        return self._strategy().get_window_stats(self._item(), storage_key(key)).remaining \
            < self.limit

    def remaining(self, key: str) -> int:
        return self._strategy().get_window_stats(self._item(), storage_key(key)).remaining


@dataclass(frozen=True)
class Refusal:
    """Why a Guard refused: the wait, and whether this address is over its own limit (else
    only the target's ceiling, reached by attempts from elsewhere, stopped it)."""

    wait: int
    address_over: bool


@dataclass(frozen=True)
class Guard:
    """Counts for one attempt on `target` from `ip`: the (target, address) pair and the
    address at `per_address`, the target alone at `ceiling` (same window)."""

    per_address: FailureLimit
    ceiling: FailureLimit
    target: str
    ip: str

    def _address_checks(self) -> list[tuple[FailureLimit, str]]:
        return [(self.per_address, f"{self.target}|ip:{self.ip}"),
                (self.per_address, f"ip:{self.ip}")]

    def _checks(self) -> list[tuple[FailureLimit, str]]:
        return [*self._address_checks(), (self.ceiling, self.target)]

    def refusal(self) -> Refusal | None:
        """Whether an attempt would be refused now (the `fail` way: test, then count)."""
        by_address = [w for limit, key in self._address_checks() if (w := limit.blocked(key))]
        by_target = self.ceiling.blocked(self.target)
        waits = [*by_address, *([by_target] if by_target else [])]
        return Refusal(max(waits), bool(by_address)) if waits else None

    def blocked(self) -> int | None:
        refused = self.refusal()
        return refused.wait if refused else None

    def fail(self) -> None:
        for limit, key in self._checks():
            limit.fail(key)

    def take(self) -> Refusal | None:
        """Count this attempt first (the `take` way); a Refusal when a count was used up.

        The address is counted before the target, and an address over its limit stops there:
        one address hammering on never uses up the ceiling the owner's attempts depend on."""
        for limit, key in self._address_checks():
            if wait := limit.take(key):
                return Refusal(wait, address_over=True)
        if wait := self.ceiling.take(self.target):
            return Refusal(wait, address_over=False)
        return None

    def remaining(self) -> int:
        return min(limit.remaining(key) for limit, key in self._checks())
