"""The built-in registry: the registry_company table, searched so it holds at a million rows.

1–2 characters: a prefix range on the name B-tree (name >= q AND name < q + U+10FFFF).
3+ characters: the prefix range first, then substrings through the trigram index —
SQLite FTS5 `trigram` (migration 0003 keeps it in sync by triggers) or PostgreSQL pg_trgm
(GIN, ILIKE). Ranking: exact name, then prefix matches, then substring matches; each
tier takes only what it needs, so no query sorts every match of a common word.
"""
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.models.enterprise import RegistryCompany
from webapp.orm import utcnow
from webapp.registry.company import INFO_FIELDS, CompanyInfo

# Greater than any character, so q + TOP bounds every string that starts with q
# (byte order on SQLite and on PostgreSQL's "C" collation).
TOP = "\U0010ffff"
UPSERT_FIELDS = [name for name in INFO_FIELDS if name != "tax_id"]


def escape_like(value: str) -> str:
    """`value` with LIKE wildcards escaped (escape character: backslash)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fts_phrase(value: str) -> str:
    """`value` as one FTS5 string: operators, quotes and columns inside it are plain text."""
    return '"' + value.replace('"', '""') + '"'


_COLS = ", ".join(f"registry_company.{name}" for name in INFO_FIELDS)
# Plain SQL, built once: the search runs on every keystroke, and building SQLAlchemy
# expressions per call cost more than the indexed lookups themselves.
SQL = {
    "sqlite": {
        "prefix": f"SELECT {_COLS} FROM registry_company WHERE name >= :q AND name < :hi "
                  "ORDER BY name LIMIT :n",
        "substring": f"SELECT {_COLS} FROM registry_company_fts JOIN registry_company "
                     "ON registry_company.id = registry_company_fts.rowid "
                     "WHERE registry_company_fts MATCH :phrase "
                     "AND NOT (registry_company.name >= :q AND registry_company.name < :hi) "
                     "LIMIT :n",
    },
    "postgresql": {
        "prefix": f'SELECT {_COLS} FROM registry_company WHERE name COLLATE "C" >= :q '
                  'AND name COLLATE "C" < :hi ORDER BY name COLLATE "C" LIMIT :n',
        "substring": f"SELECT {_COLS} FROM registry_company WHERE name ILIKE :pattern "
                     "ESCAPE '\\' AND NOT (name COLLATE \"C\" >= :q AND name COLLATE \"C\" < :hi) "
                     "LIMIT :n",
    },
}
STATEMENTS = {dialect: {kind: text(sql) for kind, sql in pair.items()} for dialect, pair in SQL.items()}
LOOKUP = text(f"SELECT {_COLS} FROM registry_company WHERE tax_id = :tax_id")


class LocalProvider:
    """Search and look up the registry_company table."""

    def suggest(self, query: str, limit: int) -> list[CompanyInfo]:
        statements = STATEMENTS["postgresql" if db.engine.dialect.name == "postgresql" else "sqlite"]
        params = {"q": query, "hi": query + TOP, "n": limit}
        found = self._run(statements["prefix"], params)
        if len(found) < limit and len(query) >= 3:
            params.update(n=limit - len(found), phrase=fts_phrase(query),
                          pattern=f"%{escape_like(query)}%")
            found += self._run(statements["substring"], params)
        return found

    def lookup_tax_id(self, tax_id: str) -> CompanyInfo | None:
        row = db.session.execute(LOOKUP, {"tax_id": tax_id}).first()
        return CompanyInfo(*row) if row else None

    @staticmethod
    def _run(statement, params) -> list[CompanyInfo]:
        rows = db.session.execute(statement, params).all()
        return sorted((CompanyInfo(*row) for row in rows),
                      key=lambda c: (c.name != params["q"], len(c.name), c.name))


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


def optimize() -> None:
    """After a bulk load: merge the FTS5 segments and refresh planner statistics."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text(
            "INSERT INTO registry_company_fts(registry_company_fts) VALUES ('optimize')"))
        db.session.execute(text("ANALYZE registry_company"))
    elif db.engine.dialect.name == "postgresql":
        # Rows inserted since the last vacuum wait in the GIN pending list, which every
        # search then scans linearly (7–10 ms at only 20,000 fresh rows): merge it now.
        db.session.execute(text("SELECT gin_clean_pending_list('ix_registry_company_name_trgm')"))
        db.session.execute(text("ANALYZE registry_company"))
