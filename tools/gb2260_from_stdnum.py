"""Rebuild webapp/core/gb2260.csv (GB/T 2260 codes → names) from python-stdnum's loc.dat.

    .venv/bin/python tools/gb2260_from_stdnum.py [path/to/loc.dat] > webapp/core/gb2260.csv

python-stdnum (LGPL-2.1-or-later) ships `stdnum/cn/loc.dat` for the resident ID number; its
lines were extracted from the Chinese Wikipedia lists 中华人民共和国行政区划代码 (CC BY-SA 4.0)
and carry each code's history: `[1983-2012]沧浪区` is a name valid from 1983 to 2012, a name
without an end year is current. Only the data is taken, one row per code: the current name (or
the last one, with the year it ended, for a retired code). Run it again when python-stdnum is
upgraded; tests/core/test_gb2260.py fails while the shipped file and the installed list differ.
"""
import re
import sys
from pathlib import Path

HEADER = """\
# GB/T 2260 administrative division codes (县及县以上行政区划代码), one row per code:
# code, name (current, or the last before the code was retired), until (the last year a retired
# code was in use; empty while it is current).
# Built by tools/gb2260_from_stdnum.py from python-stdnum {version} stdnum/cn/loc.dat
# (https://github.com/arthurdejong/python-stdnum, LGPL-2.1-or-later), whose lines were taken from
# the Chinese Wikipedia lists 中华人民共和国行政区划代码 (1区)…(8区), CC BY-SA 4.0
# (https://creativecommons.org/licenses/by-sa/4.0/). The codes themselves are published by the
# Ministry of Civil Affairs as GB/T 2260. This file is shared under CC BY-SA 4.0 as well.
code,name,until
"""
ENTRY = re.compile(r"^\[(\d{4})?-(\d{4})?\](.+)$")
LINE = re.compile(r'^  (\d{4}) county="(.*)"$')


def default_path() -> Path:
    import stdnum.cn

    return Path(stdnum.cn.__file__).with_name("loc.dat")


def rows(text: str) -> list[tuple[str, str, str]]:
    """[(code, name, until)] sorted by code, from the text of a loc.dat file."""
    found: dict[str, tuple[str, str]] = {}
    province = None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province = line[:2]
            continue
        match = LINE.match(line)
        if not match or province is None:
            raise ValueError(f"unexpected line in loc.dat: {line!r}")
        names = []  # (end year or None, name) in the file's order
        for part in match.group(2).split(","):
            entry = ENTRY.match(part)
            names.append((entry.group(2), entry.group(3)) if entry else (None, part))
        current = [name for end, name in names if end is None]
        if current:
            found[province + match.group(1)] = (current[-1], "")
        else:
            found[province + match.group(1)] = (names[-1][1], max(end for end, _ in names))
    return [(code, name, until) for code, (name, until) in sorted(found.items())]


def main(argv: list[str]) -> None:
    from importlib.metadata import version

    path = Path(argv[1]) if len(argv) > 1 else default_path()
    out = sys.stdout
    out.write(HEADER.format(version=version("python-stdnum")))
    for code, name, until in rows(path.read_text(encoding="utf-8")):
        out.write(f"{code},{name},{until}\n")


if __name__ == "__main__":
    main(sys.argv)
