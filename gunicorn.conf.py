"""gunicorn settings for the production layout (`make serve`); every value can be overridden
from the environment. The app writes its own JSON line per request (LOG_JSON), so gunicorn's
access log stays off."""
import os

wsgi_app = "webapp:create_app()"
bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
# Sync workers: on 2 cores the toggle (the write path) through wrk with 4 connections, 3 rounds
# on a shared machine (2026-12-06, issue 17): SQLite sync 402 req/s at 2.46 CPU ms a request,
# gthread ×2 334 at 3.03, gthread ×4 346 at 2.81; PostgreSQL sync 198 at 3.07, gthread ×2 159
# at 3.89, gthread ×4 207 at 3.41. Threads bought no throughput and cost CPU (the GIL and the
# thread hand-offs). WEB_WORKER_CLASS=gthread and WEB_THREADS bring them back.
worker_class = os.environ.get("WEB_WORKER_CLASS", "sync")
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
# Each worker opens its own database pool after the fork (nothing is shared across processes).
preload_app = False
# No control socket: its default path is shared by every gunicorn of the user on this machine.
control_socket_disable = True
