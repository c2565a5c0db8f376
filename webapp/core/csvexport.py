"""CSV for Excel: UTF-8 with a BOM (so Chinese opens correctly) and no formula injection."""
import csv
import io
from collections.abc import Iterable, Iterator

BOM = "\ufeff"
# A cell starting with one of these is run as a formula by Excel / LibreOffice (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The cell as text, with a leading ' when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_chunks(header: Iterable, rows: Iterable[Iterable], rows_per_chunk: int = 500) -> Iterator[str]:
    """Yield the CSV text in chunks: the BOM and header first, then `rows_per_chunk` rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    pending = 0
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        pending += 1
        if pending >= rows_per_chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()
