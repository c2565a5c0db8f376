"""Counting failures (wrong keys, bad logins) in a window, in memory or in Redis.

A guessable target (an account, an order) is counted per (target, client address) at the
user-facing threshold, so guessing from elsewhere never locks the rightful user out, plus a much
higher per-target ceiling that only stops guessing spread over many addresses (`Guard`).
"""
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


@dataclass(frozen=True)
class FailureLimit:
    """At most `limit` failures per `window` seconds for each key in a namespace."""

    namespace: str
    limit: int
    window: int

    def _item(self):
        return RateLimitItemPerSecond(self.limit, self.window, namespace=self.namespace)

    @staticmethod
    def _strategy() -> MovingWindowRateLimiter:
        return current_app.extensions["failure_limiter"]

    def blocked(self, *keys: str) -> int | None:
        """Seconds until retry when any key has used up its failures, else None."""
        waits = []
        for key in keys:
            if not self._strategy().test(self._item(), key):
                reset = self._strategy().get_window_stats(self._item(), key).reset_time
                waits.append(max(1, int(reset - time.time()) + 1))
        return max(waits) if waits else None

    def fail(self, *keys: str) -> None:
        """Count one failure against every key."""
        for key in keys:
            self._strategy().hit(self._item(), key)

    def remaining(self, key: str) -> int:
        return self._strategy().get_window_stats(self._item(), key).remaining


@dataclass(frozen=True)
class Guard:
    """Failure counts for one attempt on `target` from `ip`: the (target, address) pair and the
    address at `per_address`, the target alone at `ceiling` (same window)."""

    per_address: FailureLimit
    ceiling: FailureLimit
    target: str
    ip: str

    def _checks(self) -> list[tuple[FailureLimit, str]]:
        return [(self.per_address, f"{self.target}|ip:{self.ip}"),
                (self.per_address, f"ip:{self.ip}"),
                (self.ceiling, self.target)]

    def blocked(self) -> int | None:
        waits = [wait for limit, key in self._checks() if (wait := limit.blocked(key))]
        return max(waits) if waits else None

    def fail(self) -> None:
        for limit, key in self._checks():
            limit.fail(key)

    def remaining(self) -> int:
        return min(limit.remaining(key) for limit, key in self._checks())
