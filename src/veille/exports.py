"""Tables as people download them: CSV (for French spreadsheets: semicolons, decimal commas,
UTF-8 with a BOM) and XLSX. A cell that a spreadsheet would read as a formula (``=``, ``+``,
``-``, ``@``, a tab or a carriage return first) is neutralised: an apostrophe before it in CSV,
a quoted string cell in XLSX (docs/architecture.md, Statistics). Numbers stay numbers.

Files people download again (exports, PDFs) carry a validator: an ETag from what the file is
made of, so that a second download with ``If-None-Match`` answers 304 without building it."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from veille import __version__
from veille.i18n import active_language

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    """A titled table: what a page shows beside its chart, and what it exports."""

    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    # Rows set apart at the bottom (totals), bold in the spreadsheet.
    footer: list[list[Cell]] = field(default_factory=list)


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _csv_cell(value: Cell) -> str | int:
    """French spreadsheets read a decimal comma."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(value).replace(".", ",")
    return neutralise(value) if isinstance(value, str) else value


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_cell(c) for c in table.columns])
    for row in [*table.rows, *table.footer]:
        writer.writerow([_csv_cell(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """One sheet per table (XlsxWriter: written as it goes, nothing read back)."""
    import xlsxwriter  # imported here: only the export routes need it

    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    bold = book.add_format({"bold": True})
    quoted = book.add_format({"quote_prefix": True})
    quoted_bold = book.add_format({"quote_prefix": True, "bold": True})
    used: set[str] = set()
    for table in tables:
        sheet = book.add_worksheet(_sheet_name(table.title, used))
        for col, title in enumerate(table.columns):
            sheet.write_string(0, col, neutralise(title), bold)
        lines = [(row, False) for row in table.rows] + [(row, True) for row in table.footer]
        for r, (row, is_footer) in enumerate(lines, start=1):
            for col, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, int | float):
                    text = str(value)
                    formula_like = text.startswith(FORMULA_START)
                    style = (
                        (quoted_bold if formula_like else bold)
                        if is_footer
                        else (quoted if formula_like else None)
                    )
                    sheet.write_string(r, col, text, style)
                else:
                    sheet.write_number(r, col, value, bold if is_footer else None)
        sheet.set_column(0, 0, max(12, min(40, max((len(str(r[0])) for r, _ in lines if r), default=12))))
        sheet.set_column(1, max(1, len(table.columns) - 1), 12)
    book.close()
    return out.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the book; a longer
    title is cut after a whole word ("Signalements par mois, années c" read as cut)."""
    base = "".join("-" if c in "[]:*?/\\" else c for c in title).strip("'") or "Feuille"
    name, n = _shortened(base, 31), 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = _shortened(base, 31 - len(suffix)) + suffix, n + 1
    used.add(name.lower())
    return name


def _shortened(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    words = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return words.rstrip(" ,;:-–") + "…"


def slug(text: str, fallback: str = "export", limit: int = 60) -> str:
    """``text`` as a file name's part: ASCII letters, digits and dashes, ``limit`` at most."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:limit].strip("-") or fallback


# Validators

# The browser keeps the file for its reader only and asks each time whether it changed.
REVALIDATE = "private, no-cache"


def etag(*made_of: object) -> str:
    """A strong validator from what a file is made of (its rows' count and latest change, its
    reader, their language, the filters…) and the release that lays it out."""
    return '"' + hashlib.sha256(repr((__version__, made_of)).encode()).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    offered = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in offered or tag in offered


def validated(
    request: Request,
    made_of: object,
    build: Callable[[], Response],
    *,
    held: Callable[[], object] | None = None,
) -> Response:
    """Every file Veille answers (exports, PDFs) goes through here: its validator is
    ``etag(made_of, the reader's language)``, where ``made_of`` is what the file depends on (its
    rows' count and latest change or version, the reader's standing, the filters; for a PDF, its
    HTML). 304 with no body when the reader already holds it (``If-None-Match``), without
    building anything (``held`` runs then: what must happen on every download, an audit);
    else the file ``build`` makes, with its ETag."""
    tag = etag(made_of, active_language())
    hit = _matches(request.headers.get("if-none-match"), tag)
    if hit and held is not None:
        held()
    response = Response(status_code=304) if hit else build()
    response.headers["ETag"] = tag
    response.headers["Cache-Control"] = REVALIDATE
    return response
