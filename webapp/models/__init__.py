"""All models, imported so the metadata (and Alembic) sees every table."""
from webapp.models.allocation import Allocation, AllocationBatch, AllocationDraft
from webapp.models.audit import AuditEntry
from webapp.models.credential import Credential
from webapp.models.enterprise import Enterprise, RegistryCompany
from webapp.models.golive import CheckToken, ConnectionCheck
from webapp.models.jobs import DailyJobRun, ImportPreview
from webapp.models.order import Order, OrderLine, Product
from webapp.models.outbox import OutboxEmail
from webapp.models.reminder import ReminderSent
from webapp.models.request import ChangeRequest, RequestAttachment, RequestEvent
from webapp.models.tenant import Tenant
from webapp.models.user import User

__all__ = [
    "Allocation", "AllocationBatch", "AllocationDraft", "AuditEntry", "ChangeRequest", "CheckToken",
    "ConnectionCheck", "Credential", "DailyJobRun", "Enterprise", "ImportPreview", "OrderLine",
    "Order", "OutboxEmail", "Product", "RegistryCompany", "ReminderSent", "RequestAttachment",
    "RequestEvent", "Tenant", "User",
]
