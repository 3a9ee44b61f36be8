"""Reading a contributed sheet: a CSV file (UTF-8, with or without a byte-order mark; its
delimiter sniffed) or an Excel workbook (.xlsx, its first sheet, with openpyxl). Every
value is kept as the text the sheet shows; rows are numbered as the spreadsheet numbers
them (the header is row 1). Nothing here judges the rows (checks.py does), except what
makes a file unreadable: then `BadSheet` names the file and where.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

#: The encodings a CSV may have: UTF-8, with or without a byte-order mark.
BOM = b"\xef\xbb\xbf"
DELIMITERS = ",;\t|"


class BadSheet(ValueError):
    """A file that cannot be read as a sheet; the message names the file and where."""


@dataclass(frozen=True)
class Sheet:
    """A sheet as read: its file's name and sha256, its header (row 1) and its rows, each
    with its number in the spreadsheet; ``merged``: header cells merged into the one
    before (Excel), by column number (1-based)."""

    file: str
    sha256: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    merged: tuple[int, ...] = ()

    def values(self, row: list[str]) -> dict[str, str]:
        """A row's values by column name (a column without a name is left out)."""
        return {name: value for name, value in zip(self.header, row, strict=False) if name}


def column_letter(number: int) -> str:
    """The spreadsheet's name of the column ``number`` (1: A, 27: AA)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_sheet(path: Path) -> Sheet:
    """The sheet in ``path`` (.csv, .tsv, .txt or .xlsx)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BadSheet(f"{path}: cannot be read ({error.strerror})") from error
    digest = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() == ".xlsx":
        return read_xlsx(path, data, digest)
    if path.suffix.lower() in (".xls", ".ods", ".numbers"):
        raise BadSheet(f"{path}: save it as .xlsx or .csv (UTF-8) first")
    return read_csv(path, data, digest)


def decode(path: Path, data: bytes) -> str:
    """``data`` as UTF-8 text (a byte-order mark dropped), or BadSheet naming the line and
    the first byte that is not UTF-8."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise BadSheet(
            f"{path.name}: line {line}: byte 0x{data[error.start]:02x} is not UTF-8 (the file "
            "is in another encoding, perhaps Windows-1252 or Latin-1): save it as "
            "'CSV UTF-8' and contribute it again"
        ) from error


def read_csv(path: Path, data: bytes, digest: str) -> Sheet:
    text = decode(path, data)
    if not text.strip():
        raise BadSheet(f"{path.name}: the file is empty")
    sample = text[:65536]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, DELIMITERS)
    except csv.Error:
        dialect = csv.excel  # one column, or commas the sniffer could not be sure of
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as error:
        raise BadSheet(f"{path.name}: not a CSV file the reader understands: {error}") from error
    return sheet_of(path.name, digest, lines)


def cell_text(value: object) -> str:
    """A cell's value as the sheet shows it."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_xlsx(path: Path, data: bytes, digest: str) -> Sheet:
    import openpyxl  # only for workbooks
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as error:
        raise BadSheet(f"{path.name}: not an Excel workbook (.xlsx): {error}") from error
    sheet = book.worksheets[0]
    merged = sorted(
        column
        for cells in sheet.merged_cells.ranges
        if cells.min_row <= 1 <= cells.max_row
        for column in range(cells.min_col + 1, cells.max_col + 1)
    )
    lines = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return sheet_of(path.name, digest, lines, tuple(merged))


def sheet_of(file: str, digest: str, lines: list[list[str]], merged: tuple[int, ...] = ()) -> Sheet:
    """A sheet from its lines (the first is the header); blank rows are skipped, their
    numbers kept."""
    if not lines:
        raise BadSheet(f"{file}: the sheet is empty")
    header = [h.strip() for h in lines[0]]
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        values = [v.strip() for v in line]
        if any(values):
            rows.append((number, values + [""] * (len(header) - len(values))))
    width = max([len(header), *(len(v) for _, v in rows)])
    header += [""] * (width - len(header))
    while (
        header
        and not header[-1]
        and not any(len(v) >= len(header) and v[len(header) - 1] for _, v in rows)
    ):
        header.pop()
    return Sheet(file, digest, header, [(n, v[: len(header)]) for n, v in rows], merged)
