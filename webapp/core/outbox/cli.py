"""`flask --app webapp outbox send|work|status`: deliver queued email once, keep delivering, or
say how far behind delivery is."""
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.core import outbox

outbox_cli = AppGroup("outbox", help="Deliver queued email.")


@outbox_cli.command("send")
def outbox_send():
    """Deliver every due email once."""
    report = outbox.send_due()
    click.echo(f"sent {report.sent}, failed {report.failed}")


@outbox_cli.command("work")
@click.option("--poll", type=float, default=None, help="seconds between polls when idle")
@click.option("--daily/--no-daily", default=True,
              help="also run the daily jobs (expiry reminders) once a day across all workers")
def outbox_work(poll, daily):
    """Keep delivering until interrupted."""
    stop = threading.Event()
    click.echo("outbox worker running; Ctrl-C to stop")
    try:
        outbox.work(current_app._get_current_object(), stop, poll, daily=daily)
    except KeyboardInterrupt:
        stop.set()


@outbox_cli.command("status")
def outbox_status():
    """Pending and failed email, and how long the oldest pending one has waited."""
    backlog = outbox.backlog()
    age = "-" if backlog.oldest_pending_age is None else f"{backlog.oldest_pending_age:.0f}s"
    click.echo(f"pending {backlog.pending}\nfailed {backlog.failed}\noldest pending age {age}")
