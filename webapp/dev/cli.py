"""`flask --app webapp demo seed`: the ready-to-click demo `make run` serves."""
import click
from flask.cli import AppGroup

from webapp.dev import demo
from webapp.core.unit_of_work import transaction

demo_cli = AppGroup("demo", help="A ready-to-click demo.")


@demo_cli.command("seed")
@transaction
def demo_seed():
    """Seed a ready-to-click demo (idempotent)."""
    for line in demo.seed():
        click.echo(line)
