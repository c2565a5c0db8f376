"""Scoped loading on the models: another tenant's object, or a line of another order, is None."""
from webapp.extensions import db
from webapp.models import AllocationBatch, Enterprise, Order, OrderLine


def test_scoped_loaders_see_only_their_tenant(app, make_admin, make_batch):
    first = make_admin()
    second = make_admin(customer="杭州另一家有限公司", email="other@example.com")
    batch_id, (enterprise_id, _) = make_batch(first)
    with app.app_context():
        line = db.session.get(Order, first["order_id"]).lines[0]
        mine, theirs = first["tenant_id"], second["tenant_id"]
        assert Order.get_for_tenant(first["order_id"], mine).id == first["order_id"]
        assert Order.get_for_tenant(first["order_id"], theirs) is None
        assert Order.get_for_tenant(first["order_id"], None) is None
        assert Enterprise.get_for_tenant(enterprise_id, theirs) is None
        assert OrderLine.activated_for_tenant(mine, first["order_id"], line.id).id == line.id
        assert OrderLine.activated_for_tenant(theirs, first["order_id"], line.id) is None
        assert OrderLine.activated_for_tenant(theirs, second["order_id"], line.id) is None
        assert AllocationBatch.get_for_tenant(batch_id, mine, first["order_id"]).id == batch_id
        assert AllocationBatch.get_for_tenant(batch_id, theirs, first["order_id"]) is None
        assert AllocationBatch.get_for_tenant(batch_id, mine, second["order_id"]) is None


def test_a_line_of_an_order_not_yet_activated_is_not_loaded(app, make_order):
    order_id, _ = make_order()
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert OrderLine.activated_for_tenant(order.tenant_id or 1, order_id,
                                              order.lines[0].id) is None
