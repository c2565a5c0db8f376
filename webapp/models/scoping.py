"""Tenant scoping written once (redash's get_by_id_and_org): a model with a `tenant_id` owns
its "this tenant's X by id"; anything of another tenant is None, which a view turns into 404."""
from typing import Self

from webapp.extensions import db


class TenantOwned:
    """Mixin for models with a `tenant_id` column."""

    @classmethod
    def of_tenant(cls, tenant_id):
        """WHERE clause: rows of this tenant (an id or a bindparam)."""
        return cls.tenant_id == tenant_id

    @classmethod
    def get_for_tenant(cls, ident: int, tenant_id: int | None) -> Self | None:
        """This tenant's row by id (from the identity map when loaded), else None."""
        if tenant_id is None:
            return None
        obj = db.session.get(cls, ident)
        return obj if obj is not None and obj.tenant_id == tenant_id else None
