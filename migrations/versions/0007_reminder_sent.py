"""reminder_sent: which expiry reminders went out (UNIQUE line × threshold)

Revision ID: 0007
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reminder_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("outbox_email_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("threshold > 0", name=op.f("ck_reminder_sent_threshold_positive")),
        sa.ForeignKeyConstraint(["line_id"], ["order_line.id"], ondelete="CASCADE",
                                name=op.f("fk_reminder_sent_line_id_order_line")),
        sa.ForeignKeyConstraint(["outbox_email_id"], ["outbox_email.id"],
                                name=op.f("fk_reminder_sent_outbox_email_id_outbox_email")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"],
                                name=op.f("fk_reminder_sent_tenant_id_tenant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sent")),
        sa.UniqueConstraint("line_id", "threshold", name=op.f("uq_reminder_sent_line_id_threshold")),
    )
    op.create_index(op.f("ix_reminder_sent_tenant_id"), "reminder_sent", ["tenant_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_reminder_sent_tenant_id"), table_name="reminder_sent")
    op.drop_table("reminder_sent")
