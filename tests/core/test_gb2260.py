"""The shipped GB/T 2260 list (webapp/core/gb2260.csv) and how a region code is named."""
import csv

from tools.gb2260_from_stdnum import default_path, rows
from webapp.core import gb2260


def test_the_shipped_list_is_python_stdnums_list():
    """Fails when python-stdnum is upgraded with new codes: rebuild the file with the tool."""
    with gb2260.DATA.open(encoding="utf-8", newline="") as handle:
        shipped = [tuple(row) for row in csv.reader(line for line in handle
                                                    if not line.startswith("#"))][1:]
    assert shipped == rows(default_path().read_text(encoding="utf-8"))
    assert len(shipped) > 6000


def test_places_are_named_province_city_county():
    assert gb2260.place("320500") == gb2260.Place("320500", "江苏省苏州市", "current")
    assert gb2260.place("320505").name == "江苏省苏州市虎丘区"
    assert gb2260.place("110105").name == "北京市朝阳区"  # 110100 市辖区 is skipped
    assert gb2260.place("110100").name == "北京市"
    assert gb2260.place("469001").name == "海南省五指山市"
    assert gb2260.place("441900").name == "广东省东莞市"
    assert gb2260.place("810000").name == "香港特别行政区"


def test_retired_and_unknown_codes():
    assert gb2260.place("110103") == gb2260.Place("110103", "北京市崇文区", "retired", "2010")
    assert gb2260.place("320594") == gb2260.Place("320594", "江苏省苏州市", "unknown")
    assert gb2260.place("990000") == gb2260.Place("990000", "", "unknown")
    assert gb2260.place("100000") == gb2260.Place("100000", "国家级", "current")
