"""Every row of a contributed sheet checked before anything is published: each problem
names the row (as the spreadsheet numbers it), the column and the fix. A sheet with any
problem publishes nothing.

- the header: a column without a name (a blank or merged header cell) over values, two
  columns of the same name;
- identifiers: empty, or the same on two rows;
- titles: missing;
- dates: read in many forms (1850, 1850-03-12, 12/03/1850, 12.03.1850, March 1850,
  c. 1850, um 1850, vers 1850, 1850-1860, 1850s, 19th century) as an EDTF date (the
  ``edtf`` package), or said unreadable;
- dimensions: numbers with their unit in the value (12 cm, 30 x 40 cm, 4,5 in) become
  values and units; a number without a unit is a problem;
- images: a file named but missing, a name that leaves the images folder, a file that is
  not an image (Pillow opens and verifies it) or is too large; a file in the folder that
  no row names is a warning (it is not published);
- more rows than `TwinsService.contribute_max_rows`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import edtf

from .sheets import Sheet, column_letter

#: Values that say there is no date.
NO_DATE = {
    "",
    "nd",
    "n.d.",
    "undated",
    "unknown",
    "sd",
    "s.d.",
    "oj",
    "o.j.",
    "unbekannt",
    "inconnu",
}
CIRCA = re.compile(r"^(?:c\.?|ca\.?|circa|about|around|um|vers|env\.?|environ)\s*(\d{3,4})$", re.I)
DAY_FIRST = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")
RANGE = re.compile(r"^(\d{3,4})\s*(?:-|\u2013|\u2014|to|bis|à|a)\s*(\d{3,4})$")
NUMBER = r"\d+(?:[.,]\d+)?"
#: Units a dimension may have, and their Getty AAT concepts (as Linked Art names them).
UNITS = {
    "mm": ("millimeters", "300379097"),
    "cm": ("centimeters", "300379098"),
    "m": ("meters", "300379099"),
    "in": ("inches", "300379100"),
    "inch": ("inches", "300379100"),
    "inches": ("inches", "300379100"),
    '"': ("inches", "300379100"),
    "ft": ("feet", "300379101"),
    "g": ("grams", "300379225"),
    "kg": ("kilograms", "300379226"),
}
UNIT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
DIMENSIONS = re.compile(rf"^({NUMBER}(?:\s*[x\u00d7]\s*{NUMBER})*)\s*({UNIT})$", re.I)
#: What each of up to three values in "H x W x D" measures (AAT).
AXES = [("height", "300055644"), ("width", "300055647"), ("depth", "300072633")]
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".gif", ".webp", ".bmp"}


@dataclass(frozen=True)
class Problem:
    """What is wrong, where (the file; the row as the spreadsheet numbers it; the column)
    and how to fix it; a warning does not stop publication."""

    file: str
    row: int | None
    column: str
    message: str
    fix: str
    warning: bool = False

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        kind = "warning: " if self.warning else ""
        return f"{', '.join(where)}: {kind}{self.message} (fix: {self.fix})"


@dataclass(frozen=True)
class Dimension:
    value: float
    unit: str  # as written, lower case
    axis: str = ""  # height, width, depth, or empty


@dataclass
class Row:
    """One row as it will be published: its number in the sheet and its fields."""

    number: int
    identifier: str
    title: str
    makers: list[str] = field(default_factory=list)
    date: str = ""  # as written
    date_edtf: str = ""  # read as EDTF
    place: str = ""
    material: str = ""
    dimensions: list[Dimension] = field(default_factory=list)
    dimensions_text: str = ""
    description: str = ""
    images: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # the row, column by column


@functools.lru_cache(maxsize=65_536)
def parse_edtf(value: str) -> Any:
    """edtf's parse of ``value``, kept: one takes 10 to 20 ms (its grammar), and a
    sheet's dates repeat (the benchmark's 100,000 rows have 400)."""
    return edtf.parse_edtf(value)


@functools.lru_cache(maxsize=65_536)
def as_edtf(text: str) -> str | None:
    """``text`` as an EDTF date ('' for no date), or None when it cannot be read."""
    value = text.strip()
    if value.lower() in NO_DATE:
        return ""
    if found := CIRCA.match(value):
        value = f"{int(found[1]):04d}~"
    elif found := DAY_FIRST.match(value):
        day, month, year = (int(g) for g in found.groups())
        value = f"{year:04d}-{month:02d}-{day:02d}"
    elif found := RANGE.match(value):
        value = f"{int(found[1]):04d}/{int(found[2]):04d}"
    elif re.fullmatch(r"\d{3}", value):
        value = f"0{value}"
    try:
        parse_edtf(value)
        return value
    except Exception:
        pass
    try:
        found_text = edtf.text_to_edtf(value)
        if found_text:
            parse_edtf(found_text)  # what it made of the words must be EDTF too
    except Exception:
        return None
    return found_text or None


def as_dimensions(text: str) -> list[Dimension] | None:
    """``text`` ("12 cm", "30 x 40 cm", "4,5 in") as dimensions, or None when it is not a
    number with its unit."""
    found = DIMENSIONS.match(text.strip())
    if not found:
        return None
    parts = re.split(r"\s*[x\u00d7]\s*", found[1], flags=re.I)
    values = [float(v.replace(",", ".")) for v in parts]
    unit = found[2].lower()
    if len(values) > len(AXES):
        return None
    if len(values) == 1:
        return [Dimension(values[0], unit)]
    return [Dimension(v, unit, AXES[i][0]) for i, v in enumerate(values)]


def header_problems(sheet: Sheet) -> list[Problem]:
    problems = []
    seen: dict[str, int] = {}
    for number, name in enumerate(sheet.header, start=1):
        letter = column_letter(number)
        if number in sheet.merged:
            problems.append(
                Problem(
                    sheet.file,
                    1,
                    letter,
                    "this header cell is merged with the one before it",
                    "unmerge the header cells and give each column its own name",
                )
            )
        elif not name:
            problems.append(
                Problem(
                    sheet.file,
                    1,
                    letter,
                    "this column has values but no name (a blank header cell)",
                    "give the column a name in row 1, or delete the column",
                )
            )
        elif name in seen:
            problems.append(
                Problem(
                    sheet.file,
                    1,
                    letter,
                    f"two columns are named {name!r} (column {column_letter(seen[name])} too)",
                    "give each column its own name",
                )
            )
        else:
            seen[name] = number
    return problems


def check(
    sheet: Sheet,
    fields: dict[str, str | None],
    images: Path | None = None,
    *,
    max_rows: int = 200_000,
    max_image_bytes: int = 50 * 1024 * 1024,
    images_shown: str = "",
    give_images: str = "give the folder with --images DIR",
) -> tuple[list[Row], list[Problem]]:
    """The rows as they will be published, and every problem of the sheet; the images
    folder is named ``images_shown`` (default: its path), and ``give_images`` says how to
    give one (the command's option, the wizard's zip)."""
    problems = header_problems(sheet)
    if len(sheet.rows) > max_rows:
        problems.append(
            Problem(
                sheet.file,
                None,
                "",
                f"{len(sheet.rows)} rows, more than the "
                f"{max_rows} a contribution may have (TwinsService.contribute_max_rows)",
                "split the sheet into collections, or ask the administrator to raise the limit",
            )
        )
        return [], problems
    column = {f: c for f, c in fields.items() if c}
    letter = {name: column_letter(i) for i, name in enumerate(sheet.header, start=1) if name}

    def where(f: str) -> str:
        return f"{letter[column[f]]} ({column[f]!r})"

    rows: list[Row] = []
    first: dict[str, int] = {}
    for number, line in sheet.rows:
        values = sheet.values(line)

        def get(f: str, values: dict[str, str] = values) -> str:
            return values.get(column[f], "") if f in column else ""

        def problem(f: str, message: str, fix: str, number: int = number) -> None:
            problems.append(Problem(sheet.file, number, where(f), message, fix))

        row = Row(number, get("identifier"), get("title"), values=values)
        if not row.identifier:
            problem("identifier", "no identifier", "give the object its inventory number")
        elif row.identifier in first:
            problem(
                "identifier",
                f"identifier {row.identifier!r} is on row {first[row.identifier]} too",
                "give each object its own identifier",
            )
        else:
            first[row.identifier] = number
        if not row.title:
            problem("title", "no title", "give the object a title or a name")
        row.makers = [m.strip() for m in get("maker").split(";") if m.strip()]
        row.date = get("date")
        date = as_edtf(row.date)
        if date is None:
            problem(
                "date",
                f"the date {row.date!r} cannot be read as a date",
                "write it as 1850, 1850-03-12, 12/03/1850, c. 1850, 1850-1860 or 19th century",
            )
        else:
            row.date_edtf = date
        row.place, row.material, row.description = get("place"), get("material"), get("description")
        row.dimensions_text = get("dimensions")
        if row.dimensions_text:
            found = as_dimensions(row.dimensions_text)
            if found is None:
                problem(
                    "dimensions",
                    f"the dimensions {row.dimensions_text!r} are not numbers with a unit",
                    "write them as 12 cm, 30 x 40 cm or 4,5 in (units: mm, cm, m, in, ft, g, kg)",
                )
            else:
                row.dimensions = found
        row.images = [i.strip() for i in get("image").split(";") if i.strip()]
        rows.append(row)
    if images is not None or any(r.images for r in rows):
        problems += image_problems(
            sheet,
            rows,
            images,
            where("image") if "image" in column else "",
            max_image_bytes,
            images_shown or str(images),
            give_images,
        )
    return rows, problems


def image_problems(
    sheet: Sheet,
    rows: list[Row],
    images: Path | None,
    where: str,
    max_bytes: int,
    shown: str,
    give: str,
) -> list[Problem]:
    from PIL import Image, UnidentifiedImageError

    problems = []
    named: set[str] = set()
    for row in rows:
        for name in row.images:
            named.add(name)
            if images is None:
                problems.append(
                    Problem(
                        sheet.file,
                        row.number,
                        where,
                        f"image {name!r} is named but no images folder was given",
                        give,
                    )
                )
                continue
            path = images / name
            if (
                "/" in name
                or "\\" in name
                or name in (".", "..")
                or not path.resolve().is_relative_to(images.resolve())
            ):
                problems.append(
                    Problem(
                        sheet.file,
                        row.number,
                        where,
                        f"image {name!r} is not a file name in the images folder",
                        "name the file only, without folders",
                    )
                )
                continue
            if not path.is_file():
                problems.append(
                    Problem(
                        sheet.file,
                        row.number,
                        where,
                        f"image {name!r} is not in {shown}",
                        "add the file to the folder, or correct its name in the sheet",
                    )
                )
                continue
            size = path.stat().st_size
            if size > max_bytes:
                problems.append(
                    Problem(
                        sheet.file,
                        row.number,
                        where,
                        f"image {name!r} has {size} bytes, "
                        f"more than {max_bytes} (TwinsService.contribute_max_image_bytes)",
                        "make a smaller copy of it",
                    )
                )
                continue
            try:
                with Image.open(path) as image:
                    image.verify()
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
                problems.append(
                    Problem(
                        sheet.file,
                        row.number,
                        where,
                        f"{name!r} is not an image Pillow can read ({error})",
                        "replace it with the photograph (JPEG, PNG, TIFF)",
                    )
                )
    if images is not None:
        for path in sorted(images.iterdir()):
            if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and path.name not in named:
                problems.append(
                    Problem(
                        f"{shown}/{path.name}",
                        None,
                        where or "image",
                        "no row names this image: it is not published",
                        "name it in the image column of its object's row",
                        warning=True,
                    )
                )
    return problems
