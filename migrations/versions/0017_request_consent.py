"""智能审批 consent: who accepted a request for the other side and when (support attaches the
tenant's written consent, an attachment of purpose 'consent'); the name a merge was filed
against when no such tenant exists (so the form tells no existing tenant from an unknown one);
CHECKs that the one who accepted is not the filer and that the approver is neither

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ACCEPTER = "accepted_by_id IS NULL OR created_by_id IS NULL OR accepted_by_id <> created_by_id"
DECIDER = ("decided_by_id IS NULL OR ((created_by_id IS NULL OR decided_by_id <> created_by_id)"
           " AND (accepted_by_id IS NULL OR decided_by_id <> accepted_by_id))")


def upgrade():
    with op.batch_alter_table("change_request") as batch:
        batch.add_column(sa.Column("other_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("accepted_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("accepted_at", TS, nullable=True))
        batch.create_foreign_key(batch.f("fk_change_request_accepted_by_id_user"), "user",
                                 ["accepted_by_id"], ["id"])
        batch.create_check_constraint("accepter_not_filer", ACCEPTER)
        batch.create_check_constraint("decider_independent", DECIDER)
    with op.batch_alter_table("request_attachment") as batch:
        batch.add_column(sa.Column("purpose", sa.String(length=10), nullable=False,
                                   server_default="filing"))
        batch.create_check_constraint("purpose_known", "purpose IN ('filing', 'consent')")


def downgrade():
    with op.batch_alter_table("request_attachment") as batch:
        batch.drop_constraint(batch.f("ck_request_attachment_purpose_known"), type_="check")
        batch.drop_column("purpose")
    with op.batch_alter_table("change_request") as batch:
        batch.drop_constraint(batch.f("ck_change_request_decider_independent"), type_="check")
        batch.drop_constraint(batch.f("ck_change_request_accepter_not_filer"), type_="check")
        batch.drop_constraint(batch.f("fk_change_request_accepted_by_id_user"), type_="foreignkey")
        batch.drop_column("accepted_at")
        batch.drop_column("accepted_by_id")
        batch.drop_column("other_name")
