"""The one exception services raise for a rule the user broke; the message is shown as is."""
import click

from webapp.extensions import db


class ServiceError(Exception):
    """A refused change: `message` is user-facing Chinese, `field` names the form field if any."""

    def __init__(self, message: str, field: str | None = None, code: int = 422):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def abort_command(exc: ServiceError):
    """End a CLI command on a refused change: roll back and print the message."""
    db.session.rollback()
    raise click.ClickException(exc.message) from exc
