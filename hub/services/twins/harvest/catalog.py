"""The harvested collections as an Intake catalog that users read: after each harvest
that writes a source's twins, ``<harvested>/<name>.parquet`` (one row per twin: its IRI,
what its source says of it, where it came from, when it was harvested, when the source
withdrew it, its page) and ``<harvested>/catalog.yaml`` (Intake 2, one entry per source,
in the data build's shape: reader, licence, citation, provenance, columns, sha256 and
bytes). A user server sees the folder as the theme ``harvested`` of ``echoes.catalog()``
(extensions/echoes/catalogs.py), and ``echoes_data.validate`` checks it as it checks the
data build.

The folder (EchoesHub.harvested_dir, ``<state>/harvested``) is neither the harvest folder
(``<state>/harvest``, the hub's only) nor the data folder (which `echoes data build`
replaces whole). Its folders are 0755 and its files 0644; each file is replaced whole,
a table before the catalog that describes it. Writers (the command, the twins service)
take turns on a lock in the harvest folder, where no user can hold it.
"""

from __future__ import annotations

import fcntl
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from echoes_data import validate

from .. import object_page
from ..linkedart import label
from .folder import HarvestFolder, write_atomically
from .records import Origin

CATALOG = "catalog.yaml"
#: In the harvest folder's state/ (a source's name never starts with a dot).
LOCK = ".catalog.lock"
READER = "intake.readers.readers:PandasParquet"
DATATYPE = "intake.readers.datatypes:Parquet"
HEADER = (
    '# ECHOES VRE: Intake (2.0) catalog of the harvested collections (theme "harvested").\n'
    "# Written by `echoes harvest` and the twins service after each harvest: sha256 and "
    "bytes describe its files.\n"
)
#: Every column of a source's table, and what it holds.
COLUMNS = {
    "object": "The twin's IRI (urn:echoes:object:<collection>/<id>): the same in SPARQL, on "
    "its page and in the annotations about it.",
    "title": "Its title as the source gave it (the first; the source's identifier if none).",
    "creators": "Who made it, as the source names them (a list).",
    "dates": "When it was made, as the source wrote it (a list: the first date it gave).",
    "types": "What it is, as the source classifies it (a list).",
    "source_identifier": "The record's identifier at its source (an OAI-PMH identifier, a "
    "IIIF manifest's or Linked Art record's IRI).",
    "source_datestamp": "When the source last changed the record, as it said.",
    "source_url": "The address that gives the record as the source sent it.",
    "harvested": "When the record was last taken from the source (UTC).",
    "withdrawn": "When the source withdrew (deleted) the record, as it said; empty while it "
    "has it. The row and the twin stay: interpretations may point at them.",
    "page": "The twin's page in the twins service.",
}
TEXTS = pa.list_(pa.string())
TYPES = {
    "creators": TEXTS,
    "dates": TEXTS,
    "types": TEXTS,
    "harvested": pa.timestamp("s", tz="UTC"),
}


def entry_name(name: str) -> str:
    """A source's entry in the catalog: its name with underscores (as the data build's
    ``rock_art`` is the collection ``rock-art``), so that it is a Python name."""
    return name.replace("-", "_")


def entry_path(name: str) -> str:
    """Where users find the collection ``name`` in their catalog (the index entry's
    ``entry``, which JupyterLab opens): ``harvested.<entry_name>``."""
    return f"harvested.{entry_name(name)}"


def row(local: str, record: dict[str, Any], origin: Origin, pages: str) -> dict[str, Any]:
    """The row of the twin ``local``: its Linked Art record and where it came from."""
    produced = record.get("produced_by") or {}
    found = {
        "object": record["id"],
        "title": label(record),
        "creators": [label(a) for a in produced.get("carried_out_by", [])],
        "dates": [label(produced["timespan"])] if "timespan" in produced else [],
        "types": [label(t) for t in record.get("classified_as", [])],
        "source_identifier": origin.identifier,
        "source_datestamp": origin.datestamp,
        "source_url": origin.url,
        "harvested": datetime.fromisoformat(origin.harvested),
        "withdrawn": origin.withdrawn or None,
    }
    if pages:
        found["page"] = object_page(pages, origin.collection, local)
    return found


def table(records: dict[str, dict[str, Any]], origins: dict[str, Origin], pages: str) -> pa.Table:
    """A source's twins as a table, in the order the source listed them."""
    names = [c for c in COLUMNS if c != "page" or pages]
    schema = pa.schema([(c, TYPES.get(c, pa.string())) for c in names])
    rows = [row(k, records[k], origins[k], pages) for k in records if k in origins]
    return pa.Table.from_pylist(rows, schema=schema)


def licence_of(name: str, entry: dict[str, Any]) -> tuple[str, str]:
    """The entry's licence and its note: the source's as declared when it is an SPDX
    expression the catalogs know, else a LicenseRef whose note quotes the declaration
    (a catalog with a licence it cannot check would fail every user's catalog)."""
    declared = entry["licence"]
    if validate.licence_problem(declared) is None:
        return declared, "As the source's declaration gives it (`echoes harvest add --licence`)."
    return (
        f"LicenseRef-harvested-{name}",
        f"The source's declaration gives the licence {declared!r}, which is not an SPDX "
        "identifier the catalogs know: read the source's own terms.",
    )


def metadata(name: str, entry: dict[str, Any], rows: pa.Table, path: Path) -> dict[str, Any]:
    """A source's entry metadata, as the data build's entries have it."""
    source = entry["source"]
    withdrawn = rows.num_rows - rows.column("withdrawn").null_count
    licence, note = licence_of(name, entry)
    provenance = {
        "origin": source["url"],
        "protocol": source["protocol"],
        **{k: source[k] for k in ("set", "metadata_prefix") if source.get(k)},
        "harvested": entry["built"],
        "collection": name,
        "dataset": entry["dataset"],
        "graph": entry["graph"],
        "steps": "Harvested by `echoes harvest` or the twins service's schedule; each record "
        "became a digital twin (Linked Art), its row written to Parquet (pyarrow).",
    }
    description = (
        f"{rows.num_rows} objects harvested from {entry['title']} ({source['protocol']}, "
        f"{source['url']}), each a digital twin: one row per twin with its IRI, what the "
        "source says of it and where it came from."
    )
    if withdrawn:
        description += f" {withdrawn} of them withdrawn by the source since, kept."
    found = {
        "title": entry["title"],
        "description": description,
        "licence": licence,
        "licence_note": note,
        "citation": entry["citation"],
        "provenance": provenance,
        "harvested": entry["built"],
        "keywords": ["harvested", source["protocol"]],
        "objects": rows.num_rows,
        "withdrawn": withdrawn,
        "columns": {c: COLUMNS[c] for c in rows.column_names},
        "sha256": validate.sha256(path),
        "bytes": path.stat().st_size,
    }
    if entry.get("contribution"):
        found.update(contributed(entry, rows))
    return found


def contributed(entry: dict[str, Any], rows: pa.Table) -> dict[str, Any]:
    """What a contributed collection's entry says besides (`echoes contribute`): who
    contributed it, its version, and each earlier version's file (its sha256), so that
    a citation of an earlier version can still be checked."""
    contribution = entry["contribution"]
    return {
        "description": f"{rows.num_rows} objects contributed by {contribution['contributor']} "
        f"as a spreadsheet ({contribution['file']}), version {contribution['version']}: one "
        "row per digital twin with its IRI and what the sheet says of it.",
        "keywords": ["contributed", "spreadsheet"],
        "contributor": contribution["contributor"],
        "version": contribution["version"],
        "versions": contribution["versions"],
    }


def empty_catalog() -> dict[str, Any]:
    return {
        "version": 2,
        "metadata": {
            "title": "Harvested collections",
            "description": "Other projects' collections harvested into the commons (OAI-PMH, "
            "IIIF, Linked Art, SPARQL): one table per source, a row per digital twin with "
            "its provenance. Written by `echoes harvest` after each harvest.",
        },
        "user_parameters": {},
        "aliases": {},
        "data": {},
        "entries": {},
    }


class HarvestedCatalog:
    """The harvested collections' catalog folder at ``root``; ``pages``: the twins
    service's public URL, for each twin's page (empty: the tables have no page)."""

    def __init__(self, root: Path | str, pages: str = "") -> None:
        self.root = Path(root)
        self.pages = pages

    def write(self, folder: HarvestFolder, changed: Iterable[str] = ()) -> list[str]:
        """Write the tables of the sources ``changed`` and of every source of ``folder``
        whose table is missing or not the one its entry describes (one harvested before
        the catalog was), then the catalog; the sources written."""
        changed = set(changed)
        with self.locked(folder):
            index = folder.index()
            doc, _ = validate.load_yaml(self.root / CATALOG)
            if doc is None:
                doc = empty_catalog()
            todo = [n for n in index if n in changed or not self.is_current(doc, n)]
            for name in todo:
                self.write_table(doc, folder, name, index[name])
            if todo:
                text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
                write_atomically(self.root / CATALOG, HEADER + text, readable=True)
            return todo

    def is_current(self, doc: dict[str, Any], name: str) -> bool:
        meta = (doc["entries"].get(entry_name(name)) or {}).get("metadata") or {}
        path = self.root / f"{name}.parquet"
        return path.is_file() and meta.get("bytes") == path.stat().st_size

    def write_table(
        self, doc: dict[str, Any], folder: HarvestFolder, name: str, entry: dict[str, Any]
    ) -> None:
        path = self.root / f"{name}.parquet"
        rows = table(folder.records(name), folder.origins(name), self.pages)
        out = io.BytesIO()
        pq.write_table(rows, out)
        write_atomically(path, out.getvalue(), readable=True)
        key = entry_name(name)
        doc["data"][f"{key}_file"] = {
            "datatype": DATATYPE,
            "kwargs": {"url": f"{{CATALOG_DIR}}/{path.name}", "storage_options": None},
            "metadata": {},
            "user_parameters": {},
        }
        doc["entries"][key] = {
            "reader": READER,
            "output_instance": "pandas:DataFrame",
            "kwargs": {"args": [f"{{data({key}_file)}}"]},
            "user_parameters": {},
            "metadata": metadata(name, entry, rows, path),
        }

    @contextmanager
    def locked(self, folder: HarvestFolder) -> Iterator[None]:
        """One writer at a time (the command's or the twins service's), waiting its turn."""
        path = folder.root / "state" / LOCK
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with path.open("a") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(file, fcntl.LOCK_UN)
