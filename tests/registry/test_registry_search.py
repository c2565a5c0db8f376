"""The local 工商 registry search: ranking, prefix and substring, hostile input, tax IDs.

Runs on SQLite (FTS5 trigram) and, with TEST_DATABASE_URL, PostgreSQL (pg_trgm)."""
import pytest
from sqlalchemy import delete, text

from webapp.core import taxid
from webapp.extensions import db
from webapp.models.enterprise import RegistryCompany
from webapp.registry import local as registry_local
from webapp.registry import service as registry


def uscc(n: int) -> str:
    """A valid unified social credit code numbered `n`."""
    return taxid.compose("91320500", f"{n:08d}")


def add(*names: str, **fields) -> list[str]:
    """Put companies with these names into the registry; returns their tax IDs."""
    start = db.session.query(RegistryCompany).count() + 1
    rows = [dict(tax_id=uscc(start + i), name=name, **fields) for i, name in enumerate(names)]
    registry_local.upsert(rows)
    db.session.commit()
    return [row["tax_id"] for row in rows]


def names(query: str, limit: int = 10) -> list[str]:
    return [company.name for company in registry.suggest(query, limit)]


RANKED = ["华盛科技", "华盛科技有限公司", "华盛科技集团股份有限公司", "苏州华盛科技有限公司",
          "上海华盛科技发展有限公司"]


def test_exact_then_prefix_then_substring_shorter_first(app_ctx):
    add("上海华盛科技发展有限公司", "华为技术有限公司", "苏州华盛科技有限公司",
        "华盛科技集团股份有限公司", "华盛科技", "华盛科技有限公司")

    assert names("华盛科技") == RANKED


def test_a_shorter_substring_match_never_beats_a_prefix_match(app_ctx):
    add("盛科技", "华盛科技有限公司股份有限公司集团")

    assert names("华盛科技") == ["华盛科技有限公司股份有限公司集团"]
    assert names("盛科技") == ["盛科技", "华盛科技有限公司股份有限公司集团"]


def test_two_chinese_characters_match_by_prefix(app_ctx):
    """FTS5 trigram cannot match fewer than 3 characters: 1–2 go to the name B-tree."""
    add(*RANKED, "苏州瑞达电子有限公司")

    assert names("华盛") == ["华盛科技", "华盛科技有限公司", "华盛科技集团股份有限公司"]
    assert names("苏州") == ["苏州华盛科技有限公司", "苏州瑞达电子有限公司"]


def test_three_characters_match_anywhere_in_the_name(app_ctx):
    add(*RANKED, "华为技术有限公司")

    found = names("盛科技")
    assert set(found) == set(RANKED) and found[:2] == ["华盛科技", "华盛科技有限公司"]
    assert names("科技发展") == ["上海华盛科技发展有限公司"]
    assert names("技术有") == ["华为技术有限公司"]


def test_limit_is_honoured_and_prefix_tier_fills_it_first(app_ctx):
    add(*[f"苏州{i:02d}科技有限公司" for i in range(15)], "上海苏州路科技有限公司")

    assert len(names("苏州", limit=10)) == 10
    assert names("苏州0", limit=3) == ["苏州00科技有限公司", "苏州01科技有限公司", "苏州02科技有限公司"]
    assert "上海苏州路科技有限公司" not in names("苏州0")
    assert names("苏州路") == ["上海苏州路科技有限公司"]


def test_queries_are_trimmed_and_full_width_is_folded(app_ctx):
    add("ABC科技有限公司", "华盛(苏州)电子有限公司")

    assert names("  ＡＢＣ科技  ") == ["ABC科技有限公司"]
    assert names("abc科技") == ["ABC科技有限公司"]  # trigram search ignores ASCII case
    assert names("ABC\x00科技\n") == ["ABC科技有限公司"]  # control characters dropped
    assert names("（苏州）") == ["华盛(苏州)电子有限公司"]


def test_one_character_or_blank_finds_nothing(app_ctx):
    add("华盛科技有限公司")

    assert names("华") == []
    assert names("   ") == []
    assert names("") == []
    assert registry.suggest(None) == []


HOSTILE = ["%", "%%", "_", "__", "'", "''", '"', '""', "' OR 1=1 --", '" OR "', "NEAR(a b)",
           "a* OR b*", "name:华盛", "^华盛", "\\", "\\\\%", "*", "(", ")", "AND", "{}",
           "华盛%", "华_科技", "'); DROP TABLE registry_company; --", "😀😀😀", "x" * 500]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_plain_text(app_ctx, query):
    add("华盛科技有限公司", "华为科技有限公司", "AXB科技有限公司")

    assert names(query) == []
    assert names("华盛科技") == ["华盛科技有限公司"]  # the table is intact


def test_wildcards_and_quotes_match_literally(app_ctx):
    add("100%纯净水有限公司", "1000纯净水有限公司", "A_B科技有限公司", "AXB科技有限公司",
        '引号"科技有限公司', "反斜杠\\科技有限公司")

    assert names("100%") == ["100%纯净水有限公司"]
    assert names("%纯净") == ["100%纯净水有限公司"]
    assert names("A_B") == ["A_B科技有限公司"]
    assert names('号"科技') == ['引号"科技有限公司']
    assert names("斜杠\\") == ["反斜杠\\科技有限公司"]


def test_a_complete_tax_id_finds_its_company(app_ctx):
    (tax_id,) = add("华盛科技有限公司", legal_rep="王伟", reg_status="存续")

    found = registry.suggest(tax_id)
    assert [c.name for c in found] == ["华盛科技有限公司"]
    assert found[0].legal_rep == "王伟" and found[0].reg_status == "存续"
    assert registry.lookup_tax_id(f" {tax_id.lower()} ").name == "华盛科技有限公司"
    full_width = tax_id.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHJKLMNPQRTUWXY"})
    assert registry.lookup_tax_id(full_width).tax_id == tax_id
    assert registry.lookup_tax_id(uscc(999)) is None
    assert registry.lookup_tax_id("not a tax id") is None
    assert registry.suggest(uscc(999)) == []


def test_company_info_has_every_business_field(app_ctx):
    from webapp.models.business_fields import FIELDS

    (tax_id,) = add("华盛科技有限公司")
    info = registry.lookup_tax_id(tax_id).as_dict()
    assert set(info) == {field.name for field in FIELDS}


def test_search_follows_renames_and_deletes(app_ctx):
    """The FTS5 table is kept in sync by triggers (the upsert's UPDATE and a DELETE)."""
    (tax_id,) = add("旧名称科技有限公司")
    registry_local.upsert([dict(tax_id=tax_id, name="新名称科技有限公司")])
    db.session.commit()

    assert names("旧名称") == []
    assert names("名称科技") == ["新名称科技有限公司"]
    assert db.session.query(RegistryCompany).count() == 1

    db.session.execute(delete(RegistryCompany).where(RegistryCompany.tax_id == tax_id))
    db.session.commit()
    assert names("名称科技") == []


def _plan(sql: str, params: dict) -> str:
    if db.engine.dialect.name == "sqlite":
        rows = db.session.execute(text("EXPLAIN QUERY PLAN " + sql), params)
        return " | ".join(row[-1] for row in rows)
    db.session.execute(text("SET LOCAL enable_seqscan = off"))  # tiny tables: force the choice
    return " | ".join(row[0] for row in db.session.execute(text("EXPLAIN " + sql), params))


def test_search_statements_use_the_indexes(app_ctx):
    """What keeps search fast at a million rows: no statement scans the table."""
    add("华盛科技有限公司")
    dialect = "postgresql" if db.engine.dialect.name == "postgresql" else "sqlite"
    params = {"q": "华盛科", "hi": "华盛科" + registry_local.TOP, "n": 10, "phrase": '"华盛科"',
              "pattern": "%华盛科%"}
    prefix = _plan(registry_local.SQL[dialect]["prefix"], params)
    substring = _plan(registry_local.SQL[dialect]["substring"], params)
    db.session.rollback()

    if dialect == "sqlite":
        assert "USING INDEX ix_registry_company_name (name>? AND name<?)" in prefix
        assert "SCAN registry_company_fts VIRTUAL TABLE" in substring
        assert "USING INTEGER PRIMARY KEY" in substring
        assert "SCAN registry_company " not in prefix + substring + " "
    else:
        assert "ix_registry_company_name_c" in prefix
        assert "ix_registry_company_name_trgm" in substring
        assert "Seq Scan" not in prefix + substring
