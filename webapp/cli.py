"""`flask --app webapp …` commands; each one calls a service and commits once."""
import sys
import threading

import click
from flask import Flask
from flask.cli import AppGroup

from webapp.auth import service as accounts
from webapp.core import outbox
from webapp.core.errors import ServiceError
from webapp.extensions import db
from webapp.orders import service as orders

orders_cli = AppGroup("orders", help="Create and deliver orders.")
users_cli = AppGroup("users", help="Staff accounts.")
outbox_cli = AppGroup("outbox", help="Deliver queued email.")
demo_cli = AppGroup("demo", help="A ready-to-click demo.")


def _fail(exc: ServiceError):
    db.session.rollback()
    raise click.ClickException(exc.message)


@orders_cli.command("create")
@click.option("--order-no", required=True, help="订单号")
@click.option("--customer", required=True, help="下单企业全称")
@click.option("--email", required=True, help="联系人邮箱")
@click.option("--line", "lines", multiple=True, required=True, metavar="PRODUCT=QUANTITY",
              help="产品=数量, repeatable (issue, receive, image, archive)")
@click.option("--valid-until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--sales", default=None, help="销售人员")
@click.option("--delivered", is_flag=True, help="also mark 已交付 and queue the activation email")
def orders_create(order_no, customer, email, lines, valid_until, sales, delivered):
    """Create an order (and optionally deliver it)."""
    try:
        parsed = [orders.parse_line(spec) for spec in lines]
        order = orders.create_order(
            order_no=order_no, customer=customer, email=email, lines=parsed,
            valid_until=valid_until.date() if valid_until else None, sales=sales,
            actor_label="cli")
        if delivered:
            orders.deliver(order, actor_label="cli")
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    state = "已交付, activation email queued" if delivered else "未交付"
    click.echo(f"Order {order.order_no} created ({state}).")


@orders_cli.command("deliver")
@click.argument("order_no")
def orders_deliver(order_no):
    """Mark an order 已交付 and queue its activation email."""
    try:
        order = orders.get_by_number(order_no)
        orders.deliver(order, actor_label="cli")
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Order {order_no} delivered; activation email queued to {order.contact_email}.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["support", "approver", "ops"]))
def users_create(email, role):
    """Create a staff account; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\n")
    try:
        accounts.create_staff(email, role, password)
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"User {email} ({role}) created.")


@outbox_cli.command("send")
def outbox_send():
    """Deliver every due email once."""
    report = outbox.send_due()
    click.echo(f"sent {report.sent}, failed {report.failed}")


@outbox_cli.command("work")
@click.option("--poll", type=float, default=None, help="seconds between polls when idle")
def outbox_work(poll):
    """Keep delivering until interrupted."""
    from flask import current_app

    stop = threading.Event()
    click.echo("outbox worker running; Ctrl-C to stop")
    try:
        outbox.work(current_app._get_current_object(), stop, poll)
    except KeyboardInterrupt:
        stop.set()


@demo_cli.command("seed")
def demo_seed():
    """Seed a ready-to-click demo (idempotent)."""
    from webapp.dev import demo

    for line in demo.seed():
        click.echo(line)
    db.session.commit()


# --- entitlements: expiry reminders ---
reminders_cli = AppGroup("reminders", help="Entitlement expiry reminders.")


@reminders_cli.command("send")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="pretend today is this day (China Standard Time); default: today")
def reminders_send(on):
    """Email tenant admins whose entitlements expire within 30 days (once per line and threshold)."""
    from sqlalchemy.exc import IntegrityError

    from webapp.entitlements import reminders

    report = reminders.send(on.date() if on else None)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise click.ClickException("another reminders run recorded these lines first; nothing sent")
    click.echo(f"reminders queued: {report.emails} email(s) for {report.lines} line(s)")
    for name in report.tenants_without_admin:
        click.echo(f"skipped (no active tenant admin): {name}")


def register(app: Flask) -> None:
    from webapp.registry.cli import registry_cli

    for group in (orders_cli, users_cli, outbox_cli, demo_cli, reminders_cli, registry_cli):
        app.cli.add_command(group)


