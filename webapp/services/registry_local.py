"""The built-in registry: the registry_company table, searched so it holds at a million rows.

1–2 characters: a prefix range on the name B-tree (name >= q AND name < q + U+10FFFF).
3+ characters: the prefix range first, then substrings through the trigram index —
SQLite FTS5 `trigram` (migration 0003 keeps it in sync by triggers) or PostgreSQL pg_trgm
(GIN, ILIKE). Ranking: exact name, then prefix matches, then substring matches; each
tier takes only what it needs, so no query sorts every match of a common word.
"""
from sqlalchemy import and_, column, func, not_, select, table, text
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.models.enterprise import RegistryCompany
from webapp.orm import utcnow
from webapp.services.registry import INFO_FIELDS, CompanyInfo

# Greater than any character, so q + TOP bounds every string that starts with q
# (byte order on SQLite and on PostgreSQL's "C" collation).
TOP = "\U0010ffff"
UPSERT_FIELDS = [name for name in INFO_FIELDS if name != "tax_id"]
COLUMNS = [getattr(RegistryCompany, name) for name in INFO_FIELDS]
FTS = table("registry_company_fts", column("rowid"))  # SQLite only, created by migration 0003


def _info(row) -> CompanyInfo:
    return CompanyInfo(**{name: getattr(row, name) for name in INFO_FIELDS})


def _rank(q: str, infos: list[CompanyInfo]) -> list[CompanyInfo]:
    return sorted(infos, key=lambda c: (c.name != q, len(c.name), c.name))


def escape_like(value: str) -> str:
    """`value` with LIKE wildcards escaped (escape character: backslash)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fts_phrase(value: str) -> str:
    """`value` as one FTS5 string: operators, quotes and columns inside it are plain text."""
    return '"' + value.replace('"', '""') + '"'


class LocalProvider:
    """Search and look up the registry_company table."""

    def suggest(self, query: str, limit: int) -> list[CompanyInfo]:
        found = self._prefix(query, limit)
        if len(found) < limit and len(query) >= 3:
            found += self._substring(query, limit - len(found))
        return found

    def lookup_tax_id(self, tax_id: str) -> CompanyInfo | None:
        row = db.session.execute(select(*COLUMNS).where(RegistryCompany.tax_id == tax_id)).first()
        return _info(row) if row else None

    @staticmethod
    def _name():
        name = RegistryCompany.name
        return name.collate("C") if db.engine.dialect.name == "postgresql" else name

    def _starts_with(self, query: str):
        name = self._name()
        return and_(name >= query, name < query + TOP)

    def _prefix(self, query: str, limit: int) -> list[CompanyInfo]:
        rows = db.session.execute(
            select(*COLUMNS).where(self._starts_with(query)).order_by(self._name()).limit(limit))
        return _rank(query, [_info(row) for row in rows])

    def _substring(self, query: str, limit: int) -> list[CompanyInfo]:
        stmt = select(*COLUMNS).where(not_(self._starts_with(query))).limit(limit)
        if db.engine.dialect.name == "sqlite":
            match = text("registry_company_fts MATCH :phrase").bindparams(
                phrase=fts_phrase(query))
            stmt = stmt.select_from(
                FTS.join(RegistryCompany.__table__, RegistryCompany.id == FTS.c.rowid)).where(match)
        else:
            stmt = stmt.where(RegistryCompany.name.ilike(f"%{escape_like(query)}%", escape="\\"))
        return _rank(query, [_info(row) for row in db.session.execute(stmt)])


def upsert(rows: list[dict]) -> None:
    """Insert or update companies by tax ID, in one statement per call (executemany).

    Later rows with the same tax ID win; a statement must not touch a row twice on PostgreSQL.
    """
    if not rows:
        return
    unique = list({row["tax_id"]: row for row in rows}.values())
    now = utcnow()
    for row in unique:
        row["updated_at"] = now
        for name in UPSERT_FIELDS:
            row.setdefault(name, None)
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(RegistryCompany.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=["tax_id"],
        set_={name: stmt.excluded[name] for name in [*UPSERT_FIELDS, "updated_at"]})
    db.session.execute(stmt, unique)


def existing_tax_ids(tax_ids: list[str]) -> set[str]:
    """Which of these tax IDs the registry already holds."""
    if not tax_ids:
        return set()
    return set(db.session.scalars(
        select(RegistryCompany.tax_id).where(RegistryCompany.tax_id.in_(tax_ids))))


def count() -> int:
    """How many companies the local registry holds."""
    return db.session.scalar(select(func.count()).select_from(RegistryCompany))
