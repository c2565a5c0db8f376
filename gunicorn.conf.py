"""gunicorn settings for the production layout (`make serve`); every value can be overridden
from the environment. The app writes its own JSON line per request (LOG_JSON), so gunicorn's
access log stays off."""
import os

wsgi_app = "webapp:create_app()"
bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
# Threads let a worker answer while another request waits on the database; sessions and
# SQLAlchemy are per thread.
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
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
