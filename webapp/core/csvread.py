"""Reading an uploaded CSV: the csv module's English errors, said in Chinese (one source for
the enterprises bulk import and the registry import)."""
import csv
from flask_babel import gettext as _

# Cells are bounded by the csv module's field limit; a longer cell is almost always an
# unclosed quote that swallowed the rest of the file.
FIELD_LIMIT = csv.field_size_limit()


def reading_error(exc: csv.Error, line: int) -> str:
    """What is wrong at `line`, in words the user can act on."""
    text = str(exc)
    if "field larger than field limit" in text:
        return (_("第 %(line)s 行有单元格超过 %(FIELD_LIMIT)s 个字符，"
                  "无法读取：请检查引号是否成对，或该行是否缺少换行。",
                  line=line, FIELD_LIMIT=FIELD_LIMIT))
    if "new-line character seen in unquoted field" in text:
        return _("第 %(line)s 行的换行符无法识别，请用 Excel 另存为“CSV（逗号分隔）”后重试。", line=line)
    if "NUL" in text:
        return _("第 %(line)s 行含有空字符，文件不是 CSV 文本文件。", line=line)
    return _("第 %(line)s 行格式有误，无法读取（请检查引号和分隔符）。", line=line)
