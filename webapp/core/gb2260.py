"""GB/T 2260 administrative division codes (行政区划代码) → place names, for positions 3–8 of a
unified social credit code.

The list ships as gb2260.csv beside this module (its header says where it comes from and under
which licence; tools/gb2260_from_stdnum.py rebuilds it). It keeps retired codes with the year
they ended: a code issued before a district was merged or renamed stays a real code.
"""
import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("gb2260.csv")
# Names that only group the counties of a city or province; a place name skips them.
PLACEHOLDERS = frozenset({"市辖区", "县", "省直辖县级行政单位", "自治区直辖县级行政单位",  # i18n: data
                          "省直辖行政单位"})
# Not in GB/T 2260, used by the national registration authorities (GB 32100: "100000 为国家使用").
EXTRA = {"100000": ("国家级", "")}  # i18n: data (a place name)


@dataclass(frozen=True)
class Place:
    code: str  # the six digits asked about
    name: str  # 江苏省苏州市虎丘区; for an unknown code, the nearest known level ("" if none)
    status: str  # "current", "retired" or "unknown"
    until: str = ""  # the last year a retired code was in use


@cache
def codes() -> dict[str, tuple[str, str]]:
    """{code: (name, until)} from the shipped list (read once per process)."""
    with DATA.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        table = {row["code"]: (row["name"], row["until"]) for row in csv.DictReader(lines)}
    table.update(EXTRA)
    return table


def _name(code: str) -> str:
    entry = codes().get(code)
    return entry[0] if entry and entry[0] not in PLACEHOLDERS else ""


def place(code: str) -> Place:
    """What a six-digit region code names: province, city and county joined (北京市朝阳区,
    江苏省苏州市). A code missing from the list is named by its nearest known level."""
    if code in EXTRA:
        return Place(code, EXTRA[code][0], "current")
    levels = list(dict.fromkeys((code[:2] + "0000", code[:4] + "00", code)))
    entry = codes().get(code)
    name = "".join(_name(level) for level in (levels if entry else levels[:-1]))
    if entry is None:
        return Place(code, name, "unknown")
    return Place(code, name or entry[0], "retired" if entry[1] else "current", entry[1])
