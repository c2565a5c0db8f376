"""The request is the unit of work (as indico's request handler): views only call services,
which add and flush; the edge of the request commits or rolls back, once.

A view that may write (any method but GET/HEAD/OPTIONS, or a GET marked `@writes`) is committed
when it answers below 400. Everything else is rolled back: a read, a refusal re-rendered with a
4xx, an exception (before the error handlers render it). A failed commit is an exception like
any other.
"""
from flask import Flask

from webapp.core import unit_of_work
from webapp.database import view_may_write


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
