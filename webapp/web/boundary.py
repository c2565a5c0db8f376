"""The request is the unit of work (as indico's request handler): views only call services,
which add and flush; the edge of the request commits or rolls back, once.

A view that may write (any method but GET/HEAD/OPTIONS, or a GET marked `@writes`) is committed
when it answers below 400. Everything else is rolled back: a read, a refusal re-rendered with a
4xx, an exception (before the error handlers render it). A failed commit is an exception like
any other.

`after_answer` is the one exception, for work whose duration must not show in the answer (忘记密码
must take as long for an address without an account): it runs once the answer has been sent, as
a unit of work of its own, committed when it returns and rolled back and logged when it raises.
"""
import logging
import threading
from collections.abc import Callable

from flask import Flask, after_this_request, current_app

from webapp.core import unit_of_work
from webapp.database import view_may_write
from webapp.extensions import db

log = logging.getLogger(__name__)

# When the server never closes the answer (Werkzeug's development server skips it when the
# browser resets the connection), the work runs this long after the answer instead.
FALLBACK_SECONDS = 1.0


def after_answer(work: Callable[[], object]) -> None:
    """Run `work` (services that add and flush) once this request's answer has been sent, if
    it answers below 400: when the server closes the answer (gunicorn, the test client's
    `close()`), or FALLBACK_SECONDS later on a thread of its own; once either way."""
    app = current_app._get_current_object()
    once = threading.Lock()

    def run() -> None:
        if not once.acquire(blocking=False):
            return
        fallback.cancel()
        with app.app_context():
            try:
                work()
                unit_of_work.commit()
            except Exception:
                unit_of_work.rollback()
                log.exception("work after the answer failed")
            finally:
                db.session.remove()

    fallback = threading.Timer(FALLBACK_SECONDS, run)
    fallback.daemon = True

    @after_this_request
    def when_sent(response):
        if response.status_code < 400:
            response.call_on_close(run)
            fallback.start()
        return response


class UnitOfWorkFlask(Flask):
    """Flask whose dispatch ends each request's unit of work."""

    def dispatch_request(self):
        try:
            response = self.make_response(super().dispatch_request())
            unit_of_work.finish(response.status_code < 400 and view_may_write())
        except BaseException:
            unit_of_work.rollback()
            raise
        return response
