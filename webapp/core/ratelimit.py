"""Counting failures (wrong keys, bad logins) in a window, in memory or in Redis."""
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
