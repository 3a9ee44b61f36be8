"""Publishing a checked sheet as a collection of twins, all or nothing, with the harvest's
writers: each row a twin ``urn:echoes:object:<name>/<identifier>`` (records.twin_record,
with its dimensions), its triples and provenance (who contributed it, the file's name and
sha256, the row, when), the collection's entry in the harvest folder's index (its
licence, citation, version and every earlier version's file sha256) and in the users'
catalog (HarvestedCatalog).

Publishing again updates the same twins (matched by identifier: the same IRIs, so every
interpretation made on them stays), marks the twins of rows no longer in the sheet
withdrawn (kept), and keeps each version's sheet in the harvest folder
(``contributions/<name>/v<N>-<file>``) so that an earlier version stays citable.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from PIL import Image

from ..harvest.catalog import HarvestedCatalog, entry_path
from ..harvest.folder import HarvestFolder, write_atomically
from ..harvest.records import (
    DCTERMS,
    ECHOES,
    PROVENANCE_GRAPH,
    Described,
    Origin,
    Taken,
    dimension,
    local_id,
    twin_quads,
    twin_record,
    withdrawn,
    without_notes,
)
from ..harvest.sources import NAME, read_sources
from ..linkedart import IIIF_IMAGE_API, image_service
from ..text_languages import text_languages
from .checks import AXES, UNITS, Row, parse_edtf
from .sheets import Sheet

#: Getty AAT's "pixels", the unit of a photograph's width and height.
PIXELS_AAT = "300266190"
#: The licences a contribution may have: Creative Commons' and RightsStatements.org's,
#: each explained in one line (`echoes contribute licences`).
LICENCES = {
    "CC0-1.0": "No rights reserved: anyone may use the records for anything, without credit.",
    "CC-BY-4.0": "Anyone may use and adapt them for anything, crediting the institution.",
    "CC-BY-SA-4.0": "As CC BY, and adaptations must be shared under the same licence.",
    "CC-BY-NC-4.0": "Anyone may use and adapt them with credit, but not commercially.",
    "CC-BY-NC-SA-4.0": "As CC BY-NC, and adaptations shared under the same licence.",
    "CC-BY-ND-4.0": "Anyone may share them unchanged, with credit; no adaptations.",
    "CC-BY-NC-ND-4.0": "Shared unchanged, with credit, not commercially; the strictest CC.",
    "LicenseRef-PDM-1.0": "Public Domain Mark: the works are known to be free of copyright.",
    "LicenseRef-RS-InC-1.0": "In Copyright (RightsStatements.org): ask the rights holder.",
    "LicenseRef-RS-InC-EDU-1.0": "In Copyright, educational use permitted (RS.org).",
    "LicenseRef-RS-InC-NC-1.0": "In Copyright, non-commercial use permitted (RS.org).",
    "LicenseRef-RS-NoC-NC-1.0": "No Copyright, but non-commercial use only (RS.org).",
    "LicenseRef-RS-NoC-OKLR-1.0": "No Copyright, other known legal restrictions (RS.org).",
    "LicenseRef-RS-NKC-1.0": "No Known Copyright: the institution believes none applies.",
    "LicenseRef-RS-UND-1.0": "Copyright Undetermined: the institution could not find out.",
    "LicenseRef-RS-CNE-1.0": "Copyright Not Evaluated: nobody has looked yet.",
}


class BadContribution(ValueError):
    """A publication refused before anything is written."""


@dataclass
class Published:
    name: str
    version: int
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0


def dataset(name: str) -> str:
    return f"urn:echoes:dataset:contributed.{name}"


def described(row: Row, language: str = "") -> Described:
    """What the row says, as a harvested record's metadata would; ``language``: the ISO
    639-1 code of its texts ("": not said)."""
    dims = []
    for d in row.dimensions:
        unit, unit_aat = UNITS[d.unit]
        axis_aat = dict(AXES).get(d.axis, "")
        dims.append(dimension(d.value, unit, unit_aat, d.axis, axis_aat))
    return Described(
        titles=[row.title],
        creators=row.makers,
        dates=[row.date] if row.date else [],
        descriptions=[row.description] if row.description else [],
        places=[row.place] if row.place else [],
        media=[row.material] if row.material else [],
        dimensions=dims,
        language=language,
    )


def with_date_span(record: dict[str, Any], date: str) -> dict[str, Any]:
    """The production's time-span bounded as its EDTF date says (the date as written
    stays its label)."""
    timespan = (record.get("produced_by") or {}).get("timespan")
    if not timespan or not date:
        return record
    parsed = parse_edtf(date)
    low, high = parsed.lower_strict(), parsed.upper_strict()
    timespan["identified_by"] = [{"type": "Name", "content": date, "_label": "EDTF"}]
    timespan["begin_of_the_begin"] = (
        f"{low.tm_year:04d}-{low.tm_mon:02d}-{low.tm_mday:02d}T00:00:00Z"
    )
    timespan["end_of_the_end"] = (
        f"{high.tm_year:04d}-{high.tm_mon:02d}-{high.tm_mday:02d}T23:59:59Z"
    )
    return record


def with_images(
    record: dict[str, Any],
    name: str,
    images: list[tuple[str, str, tuple[int, int]]],
    iiif_url: str = "",
) -> dict[str, Any]:
    """The row's photographs, as the files kept in the harvest folder (name, sha256,
    width and height in pixels), each
    through the hub's IIIF service at ``iiif_url`` (``contributed/<name>/<file>``) when
    given, as a harvested image is through its source's (records.iiif_image)."""
    if not images:
        return record
    shown = []
    for file, digest, (width, height) in images:
        digital = {
            "type": "DigitalObject",
            "_label": file,
            "identified_by": [{"type": "Identifier", "content": f"sha256:{digest}"}],
            "access_point": [{"id": f"urn:echoes:image:{name}/{file}", "type": "DigitalObject"}],
            "dimension": [
                dimension(width, "pixels", PIXELS_AAT, "width", dict(AXES)["width"]),
                dimension(height, "pixels", PIXELS_AAT, "height", dict(AXES)["height"]),
            ],
        }
        if iiif_url:
            service = image_service(iiif_url, f"contributed/{name}/{file}")
            digital["digitally_available_via"] = [
                {
                    "type": "DigitalService",
                    "access_point": [{"id": service, "type": "DigitalObject"}],
                    "conforms_to": [{"id": IIIF_IMAGE_API, "type": "InformationObject"}],
                }
            ]
        shown.append(digital)
    visual = {
        "type": "VisualItem",
        "_label": f"{record['_label']}, photographed",
        "digitally_shown_by": shown,
    }
    return {**record, "representation": [*record.get("representation", []), visual]}


def check_name(folder: HarvestFolder, name: str, built: set[str]) -> None:
    if not NAME.fullmatch(name):
        raise BadContribution(
            f"--name {name!r}: lower-case letters, digits and hyphens, starting with a letter"
        )
    if name in built:
        raise BadContribution(f"--name {name}: the data build has a collection of that name")
    if name in read_sources(folder.root):
        raise BadContribution(f"--name {name}: a harvested source has that name")
    entry = folder.index().get(name)
    if entry is not None and not entry.get("contribution"):
        raise BadContribution(f"--name {name}: the harvest folder has a collection of that name")


def provenance(record: dict[str, Any], said: dict[str, Any]) -> list[ox.Quad]:
    """Who contributed the row, from which file (name, sha256) and row, in the
    provenance graph (beside what records.twin_quads writes)."""
    node = ox.NamedNode(record["subject_of"][0]["id"])
    graph = ox.NamedNode(PROVENANCE_GRAPH)
    return [
        ox.Quad(node, ox.NamedNode(DCTERMS + "creator"), ox.Literal(said["contributor"]), graph),
        ox.Quad(node, ox.NamedNode(ECHOES + "sheetFile"), ox.Literal(said["file"]), graph),
        ox.Quad(node, ox.NamedNode(ECHOES + "sheetSha256"), ox.Literal(said["sha256"]), graph),
        ox.Quad(node, ox.NamedNode(ECHOES + "sheetRow"), ox.Literal(str(said["row"])), graph),
    ]


def publish(
    sheet: Sheet,
    source: Path,
    fields: dict[str, str | None],
    rows: list[Row],
    folder: HarvestFolder,
    *,
    name: str,
    title: str,
    licence: str,
    citation: str,
    contributor: str,
    language: str = "",
    group: str = "",
    published_by: str = "",
    images: Path | None = None,
    catalog: HarvestedCatalog | None = None,
    built: set[str] = frozenset(),
    iiif_url: str = "",
) -> Published:
    """Publish the checked ``rows`` of ``sheet`` (read from ``source``) as the collection
    ``name``, ``contributor``'s (and the members' of their hub ``group``, when they shared
    it); ``language``: the ISO 639-1 code its texts are in (their names and statements say
    it); ``published_by``: who published it, when not the contributor (an administrator
    approving it). The caller checked the rows (checks.check) and found no problem."""
    if licence not in LICENCES:
        raise BadContribution(
            f"--licence {licence!r}: not one of the licences a contribution may have "
            "(echoes contribute licences)"
        )
    if language and language not in text_languages():
        raise BadContribution(
            f"--language {language!r}: an ISO 639-1 code of {', '.join(text_languages())}"
        )
    check_name(folder, name, built)
    with folder.harvesting(name) as alone:
        if not alone:
            raise BadContribution(f"{name}: a publication of it is running already")
        now = datetime.now(UTC).isoformat(timespec="seconds")
        before = (folder.index().get(name) or {}).get("contribution") or {}
        version = before.get("version", 0) + 1
        versions = list(before.get("versions", []))
        if versions and versions[-1]["sha256"] == sheet.sha256:
            version -= 1  # the same file again: the same version, re-written
            versions.pop()
        versions.append(
            {"version": version, "file": sheet.file, "sha256": sheet.sha256, "published": now}
        )
        taken = Taken(
            folder.records(name), folder.origins(name), folder.raw(name), folder.notes(name)
        )
        result = Published(name, version)
        kept = Path("contributions") / name / f"v{version}-{sheet.file}"
        write_atomically(folder.root / kept, source.read_bytes())
        listed = set()
        for row in rows:
            local = local_id(row.identifier)
            listed.add(local)
            stored = []
            for file in row.images:
                data = (images / file).read_bytes()  # type: ignore[operator]
                digest = hashlib.sha256(data).hexdigest()
                with Image.open(io.BytesIO(data)) as image:  # checked readable (checks.py)
                    pixels = image.size
                write_atomically(folder.root / "images" / name / file, data)
                stored.append((file, digest, pixels))
            origin = Origin(
                collection=name,
                source_title=title,
                dataset=dataset(name),
                identifier=row.identifier,
                datestamp=now,
                url=f"urn:echoes:contribution:{name}:v{version}#row-{row.number}",
                harvested=now,
            )
            record = twin_record(origin, described(row, language))
            record = with_images(with_date_span(record, row.date_edtf), name, stored, iiif_url)
            said = {
                "contributor": contributor,
                "file": sheet.file,
                "sha256": sheet.sha256,
                "row": row.number,
                "published": now,
                "fields": {f: fields[f] for f in fields},
                "values": row.values,
                "date_edtf": row.date_edtf,
            }
            old = taken.records.get(local)
            old_origin = taken.origins.get(local)
            same = old is not None and old_origin is not None and not old_origin.withdrawn
            same = same and without_notes(old) == twin_record_at(record, old_origin)
            if same:
                result.unchanged += 1
                continue
            if old is None:
                result.added += 1
            else:
                result.changed += 1
            taken.records[local] = record
            taken.origins[local] = origin
            taken.raw[local] = json.dumps(said, ensure_ascii=False)
        for local in set(taken.records) - listed:
            origin = taken.origins[local]
            if not origin.withdrawn:
                taken.origins[local] = replace(origin, withdrawn=now, harvested=now)
                taken.records[local] = withdrawn(taken.records[local], now)
                result.withdrawn += 1
        entry = {
            "entry": entry_path(name),
            "graph": f"urn:echoes:graph:{name}",
            "dataset": dataset(name),
            "title": title,
            "licence": licence,
            "citation": citation,
            "iiif_image": None,
            "objects": len(taken.records),
            "built": now,
            "source": {"protocol": "spreadsheet", "url": f"urn:echoes:contribution:{name}"},
            "contribution": {
                "contributor": contributor,
                "group": group,
                "published_by": published_by or contributor,
                "file": sheet.file,
                "sha256": sheet.sha256,
                "version": version,
                "versions": versions,
                "kept": str(kept),
                "mapping": fields,
                "language": language,
                "licence_explained": LICENCES[licence],
            },
        }
        quads = []
        for local, record in taken.records.items():
            quads += twin_quads(taken.origins[local], record, entry["graph"])
            quads += provenance(record, json.loads(taken.raw[local]))
        folder.write_collection(name, entry, taken, quads)
        if catalog is not None:
            catalog.write(folder, [name])
        return result


def twin_record_at(record: dict[str, Any], origin: Origin) -> dict[str, Any]:
    """``record`` as it would be had it been published with ``origin`` (so that a row
    whose words are unchanged is not counted changed because its row number moved)."""
    subject = record["subject_of"][0]
    access = subject["digitally_carried_by"][0]["access_point"][0]
    if access["id"] == origin.url:
        return record
    moved = json.loads(json.dumps(record))
    moved["subject_of"][0]["digitally_carried_by"][0]["access_point"][0]["id"] = origin.url
    return moved
