"""`flask --app webapp …`: collects each feature's command group (each command calls a service
and is one unit of work: core/unit_of_work.transaction)."""
from flask import Flask

from webapp.auth.cli import users_cli
from webapp.core import daily
from webapp.core.outbox.cli import outbox_cli
from webapp.dev.cli import demo_cli
from webapp.entitlements import reminders
from webapp.entitlements.cli import reminders_cli
from webapp.orders.cli import orders_cli
from webapp.registry.cli import registry_cli


def register(app: Flask) -> None:
    for group in (orders_cli, users_cli, outbox_cli, demo_cli, reminders_cli, registry_cli):
        app.cli.add_command(group)
    # `outbox work` runs these once a day, so reminders go out without anyone remembering.
    daily.jobs(app)["reminders"] = reminders.daily
