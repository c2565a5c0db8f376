"""`flask --app webapp reminders send`: the daily expiry reminders."""
import click
from flask.cli import AppGroup

from webapp.core.unit_of_work import transaction
from webapp.entitlements import reminders

reminders_cli = AppGroup("reminders", help="Entitlement expiry reminders.")


@reminders_cli.command("send")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="pretend today is this day (China Standard Time); default: today")
@transaction
def reminders_send(on):
    """Email tenant admins whose entitlements expire within 30 days (once per line and threshold)."""
    report = reminders.send(on.date() if on else None)
    click.echo(f"reminders queued: {report.emails} email(s) for {report.lines} line(s)")
    for name in report.tenants_without_admin:
        click.echo(f"skipped (no active tenant admin): {name}")
