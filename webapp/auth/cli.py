"""`flask --app webapp users create`: a staff account, its password read from standard input."""
import sys

import click
from flask.cli import AppGroup

from webapp.auth import service as accounts
from webapp.core.unit_of_work import transaction

users_cli = AppGroup("users", help="Staff accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["support", "approver", "ops"]))
@transaction
def users_create(email, role):
    """Create a staff account; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\n")
    accounts.create_staff(email, role, password)
    click.echo(f"User {email} ({role}) created.")


@users_cli.command("disable")
@click.option("--email", required=True)
@transaction
def users_disable(email):
    """Disable an account: no more sign-in, and every open session ends."""
    accounts.disable_user(email)
    click.echo(f"User {email} disabled; its sessions have ended.")


@users_cli.command("password")
@click.option("--email", required=True)
@transaction
def users_password(email):
    """Set a new password (read from standard input); every open session ends."""
    password = sys.stdin.readline().rstrip("\n")
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"账号 {email} 不存在")
    accounts.change_password(user, password, password)
    click.echo(f"Password of {email} changed; its sessions have ended.")
