"""Which column of a sheet gives which field of the twin: suggested from the column names
(English, French, German), written as a YAML file the contributor edits, and read back
on every publication, so that a corrected sheet published again is read the same way.

    # echoes contribute mapping for objects.csv
    fields:
      identifier: Inventarnummer
      title: Titel
      maker: Künstler
      ...
      image: null       # no column gives it
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from .sheets import Sheet

#: The twin's fields, and what each holds.
FIELDS = {
    "identifier": "the object's number in the institution (inventory or accession "
    "number): unique, never empty; the twin is matched by it on every publication",
    "title": "its title or name",
    "maker": "who made it (several separated by ';')",
    "date": "when it was made (1850, 1850-03-12, 12/03/1850, c. 1850, 1850-1860, ...)",
    "place": "where it was made",
    "material": "what it is made of, or its technique",
    "dimensions": "its size, with units in the values (12 cm, 30 x 40 cm, 4,5 in)",
    "description": "a description",
    "image": "the file name(s) of its photograph(s) in the images folder (';' between)",
}
#: Column names that suggest each field, normalised (lower case, no accents, letters and
#: digits only): English, French and German.
NAMES = {
    "identifier": [
        "identifier",
        "id",
        "objectnumber",
        "inventorynumber",
        "accessionnumber",
        "number",
        "inventory",
        "inventoryno",
        "accessionno",
        "objectid",
        "ref",
        "reference",
        "numerodinventaire",
        "numeroinventaire",
        "inventaire",
        "numero",
        "cote",
        "nodinventaire",
        "identifiant",
        "inventarnummer",
        "inventarnr",
        "objektnummer",
        "signatur",
        "nummer",
    ],
    "title": [
        "title",
        "name",
        "objectname",
        "titre",
        "nom",
        "intitule",
        "designation",
        "titel",
        "bezeichnung",
        "objektbezeichnung",
        "benennung",
    ],
    "maker": [
        "maker",
        "artist",
        "creator",
        "author",
        "producer",
        "manufacturer",
        "artiste",
        "auteur",
        "createur",
        "fabricant",
        "kunstler",
        "kuenstler",
        "hersteller",
        "urheber",
        "autor",
        "kunstlerin",
    ],
    "date": [
        "date",
        "year",
        "dated",
        "dating",
        "datecreated",
        "annee",
        "datation",
        "datum",
        "datierung",
        "jahr",
        "entstehungsjahr",
        "herstellungsdatum",
    ],
    "place": [
        "place",
        "location",
        "placemade",
        "origin",
        "lieu",
        "provenance",
        "lieudecreation",
        "ort",
        "herstellungsort",
        "herkunft",
        "entstehungsort",
    ],
    "material": [
        "material",
        "materials",
        "medium",
        "technique",
        "materiau",
        "materiaux",
        "matiere",
        "materiel",
        "werkstoff",
        "technik",
        "materialtechnik",
    ],
    "dimensions": [
        "dimensions",
        "dimension",
        "size",
        "measurements",
        "taille",
        "mesures",
        "abmessungen",
        "masse",
        "groesse",
        "grosse",
        "format",
    ],
    "description": [
        "description",
        "notes",
        "note",
        "remarks",
        "commentaire",
        "remarques",
        "beschreibung",
        "bemerkung",
        "bemerkungen",
        "anmerkungen",
    ],
    "image": [
        "image",
        "images",
        "photo",
        "photos",
        "file",
        "filename",
        "imagefile",
        "picture",
        "fichier",
        "nomdefichier",
        "bild",
        "foto",
        "datei",
        "dateiname",
        "abbildung",
    ],
}


class BadMapping(ValueError):
    """A mapping that does not fit its sheet; the message names the file and the field."""


def normalised(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def suggest(header: list[str]) -> dict[str, str | None]:
    """Each field's column, by its name (None when no column's name suggests it); a
    column gives one field at most."""
    taken: set[str] = set()
    found: dict[str, str | None] = {}
    for field, names in NAMES.items():
        found[field] = None
        for column in header:
            if column and column not in taken and normalised(column) in names:
                found[field] = column
                taken.add(column)
                break
    return found


def mapping_text(sheet: Sheet, fields: dict[str, str | None]) -> str:
    """The mapping as the YAML file the contributor edits."""
    lines = [
        f"# echoes contribute: which column of {sheet.file} gives which field of the twin.",
        "# Edit the column names (as row 1 of the sheet has them; null: no column gives it),",
        "# then: echoes contribute check FILE --mapping THIS-FILE",
        f"# The sheet's columns: {', '.join(repr(h) for h in sheet.header if h)}",
        "fields:",
    ]
    for field, about in FIELDS.items():
        value = yaml.safe_dump(fields.get(field), allow_unicode=True).strip()
        value = value.removesuffix("\n...").strip()
        lines.append(f"  {field}: {value}  # {about}")
    return "\n".join(lines) + "\n"


def read_mapping(path: Path, sheet: Sheet) -> dict[str, str | None]:
    """The mapping in ``path``, checked against ``sheet``'s columns."""
    try:
        doc: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise BadMapping(f"{path}: cannot be read as YAML: {error}") from error
    return check_mapping(doc, sheet, str(path))


def check_mapping(doc: Any, sheet: Sheet, where: str) -> dict[str, str | None]:
    if not isinstance(doc, dict) or not isinstance(doc.get("fields"), dict):
        raise BadMapping(f"{where}: no 'fields:' (write one with `echoes contribute map FILE`)")
    fields = doc["fields"]
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise BadMapping(
            f"{where}: unknown field {unknown[0]!r}: the fields are {', '.join(FIELDS)}"
        )
    found: dict[str, str | None] = {}
    for field in FIELDS:
        column = fields.get(field)
        if column is not None and not isinstance(column, str):
            column = str(column)
        if column is not None and column not in sheet.header:
            raise BadMapping(
                f"{where}: field {field}: {sheet.file} has no column {column!r} (its columns: "
                f"{', '.join(repr(h) for h in sheet.header if h)})"
            )
        found[field] = column
    for field in ("identifier", "title"):
        if not found[field]:
            raise BadMapping(f"{where}: field {field}: a column must give it ({FIELDS[field]})")
    return found
