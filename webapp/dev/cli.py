"""`flask --app webapp demo seed`: the ready-to-click demo `make run` serves."""
import click
from flask.cli import AppGroup

from webapp.dev import demo
from webapp.extensions import db

demo_cli = AppGroup("demo", help="A ready-to-click demo.")


@demo_cli.command("seed")
def demo_seed():
    """Seed a ready-to-click demo (idempotent)."""
    for line in demo.seed():
        click.echo(line)
    db.session.commit()
