"""user.password_link_hash / password_link_expires_at: the one live password link of an account
(忘记密码, a staff account's first password), void once used, expired or replaced by a newer one;
password_resets_sent / password_resets_since: the reset emails sent in the current hour

Revision ID: 0016
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0012"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("password_link_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("password_link_expires_at", TS, nullable=True))
        batch.add_column(sa.Column("password_resets_sent", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("password_resets_since", TS, nullable=True))
        batch.create_unique_constraint(batch.f("uq_user_password_link_hash"),
                                       ["password_link_hash"])


def downgrade():
    with op.batch_alter_table("user") as batch:
        batch.drop_constraint(batch.f("uq_user_password_link_hash"), type_="unique")
        batch.drop_column("password_resets_since")
        batch.drop_column("password_resets_sent")
        batch.drop_column("password_link_expires_at")
        batch.drop_column("password_link_hash")
