"""`flask --app webapp orders create|deliver`: the same services as the ops page."""
import click
from flask.cli import AppGroup

from webapp.core.unit_of_work import transaction
from webapp.orders import service as orders

orders_cli = AppGroup("orders", help="Create and deliver orders.")


@orders_cli.command("create")
@click.option("--order-no", required=True, help="订单号")
@click.option("--customer", required=True, help="下单企业全称")
@click.option("--email", required=True, help="联系人邮箱")
@click.option("--line", "lines", multiple=True, required=True, metavar="PRODUCT=QUANTITY",
              help="产品=数量, repeatable (issue, receive, image, archive)")
@click.option("--valid-until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--sales", default=None, help="销售人员")
@click.option("--delivered", is_flag=True, help="also mark 已交付 and queue the activation email")
@transaction
def orders_create(order_no, customer, email, lines, valid_until, sales, delivered):
    """Create an order (and optionally deliver it)."""
    parsed = [orders.parse_line(spec) for spec in lines]
    order = orders.create_order(
        order_no=order_no, customer=customer, contact_email=email, lines=parsed,
        valid_until=valid_until.date() if valid_until else None, sales=sales, actor_label="cli")
    if delivered:
        orders.deliver(order, actor_label="cli")
    state = "已交付, activation email queued" if delivered else "未交付"
    click.echo(f"Order {order.order_no} created ({state}).")


@orders_cli.command("deliver")
@click.argument("order_no")
@transaction
def orders_deliver(order_no):
    """Mark an order 已交付 and queue its activation email."""
    order = orders.get_by_number(order_no)
    orders.deliver(order, actor_label="cli")
    click.echo(f"Order {order_no} delivered; activation email queued to {order.contact_email}.")
