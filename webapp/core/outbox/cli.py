"""`flask --app webapp outbox send|work`: deliver queued email once, or keep delivering."""
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
def outbox_work(poll):
    """Keep delivering until interrupted."""
    stop = threading.Event()
    click.echo("outbox worker running; Ctrl-C to stop")
    try:
        outbox.work(current_app._get_current_object(), stop, poll)
    except KeyboardInterrupt:
        stop.set()
