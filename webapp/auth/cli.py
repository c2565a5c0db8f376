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


@users_cli.command("disable")
@click.option("--email", required=True)
def users_disable(email):
    """Disable an account: no more sign-in, and every open session ends."""
    try:
        accounts.disable_user(email)
    except ServiceError as exc:
        abort_command(exc)
    db.session.commit()
    click.echo(f"User {email} disabled; its sessions have ended.")


@users_cli.command("password")
@click.option("--email", required=True)
def users_password(email):
    """Set a new password (read from standard input); every open session ends."""
    from sqlalchemy import select

    from webapp.models import User

    password = sys.stdin.readline().rstrip("\n")
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"账号 {email} 不存在")
    try:
        accounts.change_password(user, password, password)
    except ServiceError as exc:
        abort_command(exc)
    db.session.commit()
    click.echo(f"Password of {email} changed; its sessions have ended.")
