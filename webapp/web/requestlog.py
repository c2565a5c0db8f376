"""Structured request logs: one JSON line per request (LOG_JSON), with a request id.

A line holds the route pattern, never the raw query string or a body, so keys, passwords and
tokens in them never reach a log; the user is the one the request signed in with
(web/access.py), never loaded for the log.
"""
import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, request

log = logging.getLogger("webapp.request")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (gunicorn and pytest replace it)."""

    def __init__(self):
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s"))

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def _setup_logger() -> None:
    if not any(isinstance(h, _StderrHandler) for h in log.handlers):
        log.addHandler(_StderrHandler())
    log.setLevel(logging.INFO)
    log.propagate = False


def register(app: Flask) -> None:
    if app.config.get("LOG_JSON") is None:
        app.config["LOG_JSON"] = (app.config["APP_ENV"] not in {"development", "testing"}
                                  and not app.testing)
    if not app.config["LOG_JSON"]:
        return
    _setup_logger()

    @app.before_request
    def start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def write_line(response):
        started = g.get("request_started")
        if started is None:  # a before_request hook failed before ours ran
            g.request_id = uuid.uuid4().hex
            started = time.perf_counter()
        signed_in = g.get("signed_in")
        rule = request.url_rule
        line = {
            "event": "request",
            "request_id": g.request_id,
            "method": request.method,
            "route": rule.rule if rule else None,
            "path": request.path if rule is None or not rule.arguments else None,
            "ids": {k: v for k, v in (request.view_args or {}).items() if isinstance(v, int)},
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "user_id": signed_in.user_id if signed_in else None,
            "tenant_id": signed_in.tenant_id if signed_in else None,
            "remote_addr": request.remote_addr,
        }
        if line["path"] is not None:
            line["path"] = line["path"][:200]
        log.info(json.dumps(line, ensure_ascii=False))
        response.headers["X-Request-ID"] = g.request_id
        return response
