"""`flask --app webapp users create`: a staff account, its password read from standard input."""
import sys

import click
from flask.cli import AppGroup

from webapp.auth import service as accounts
from webapp.core.errors import ServiceError, abort_command
from webapp.extensions import db

users_cli = AppGroup("users", help="Staff accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["support", "approver", "ops"]))
def users_create(email, role):
    """Create a staff account; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\n")
    try:
        accounts.create_staff(email, role, password)
    except ServiceError as exc:
        abort_command(exc)
    db.session.commit()
    click.echo(f"User {email} ({role}) created.")
