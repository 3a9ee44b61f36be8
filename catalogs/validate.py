"""Check Intake catalogs of the heritage data: structure, metadata, licences, paths, files.

Every problem names the catalog file and the entry, so a broken catalog says where to look.
Checks read only YAML and file system metadata, except ``checksums=True``, which hashes files.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

CATALOG_READER = "intake.readers.readers:YAMLCatalogReader"
PREFIX = "{CATALOG_DIR}/"
#: Intake reads a string of an entry's kwargs, at any depth, that is ``{data(NAME)}`` as the
#: catalog's data item NAME (``Catalog._rehydrate``); NAME is anything but ")": Intake's own
#: tokens are hex, ``echoes.search`` makes "theme.entry/item".
DATA_REF = re.compile(r"\{data\(([^)]+)\)\}")
#: metadata every data entry carries; columns (tables) or variables (arrays) come on top.
REQUIRED = ("title", "description", "licence", "citation", "provenance")

#: SPDX identifiers accepted in ``licence`` (https://spdx.org/licenses/); anything else
#: must be a ``LicenseRef-...`` explained in ``licence_note``.
SPDX = frozenset(
    [
        "CC0-1.0",
        "PDDL-1.0",
        "ODbL-1.0",
        "ODC-By-1.0",
        "CC-BY-3.0",
        "CC-BY-4.0",
        "CC-BY-SA-3.0",
        "CC-BY-SA-4.0",
        "CC-BY-NC-4.0",
        "CC-BY-NC-SA-4.0",
        "CC-BY-ND-4.0",
        "CC-BY-NC-ND-4.0",
        "CC-PDDC",
        "Unlicense",
        "MIT",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "Apache-2.0",
        "MPL-2.0",
        "ISC",
        "GPL-2.0-only",
        "GPL-2.0-or-later",
        "GPL-3.0-only",
        "GPL-3.0-or-later",
        "LGPL-2.1-only",
        "LGPL-2.1-or-later",
        "LGPL-3.0-only",
        "LGPL-3.0-or-later",
        "AGPL-3.0-only",
        "AGPL-3.0-or-later",
        "OGL-UK-3.0",
        "etalab-2.0",
    ]
)
LICENSE_REF = re.compile(r"^LicenseRef-[A-Za-z0-9.-]+$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a catalog: where (file, entry) and what."""

    file: str
    entry: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: entry {self.entry!r}" if self.entry else self.file
        return f"{where}: {self.message}"


class CatalogError(ValueError):
    """A catalog cannot answer: its files have ``problems`` (the message lists each with its
    file and entry), or a request names what it does not hold (the message says what).
    ``status`` is the HTTP status a server replies with: 503, the shared catalog is broken."""

    def __init__(self, problems: list[Problem] | str, *, status: int = 503) -> None:
        self.problems = [] if isinstance(problems, str) else problems
        self.message = problems if isinstance(problems, str) else "\n".join(map(str, problems))
        self.status = status
        super().__init__(self.message)


def licence_problem(licence: Any) -> str | None:
    """Why ``licence`` is not an SPDX expression of known identifiers, or None if it is."""
    if not isinstance(licence, str) or not licence.strip():
        return "licence must be an SPDX identifier such as CC0-1.0 or CC-BY-4.0"
    for term in re.split(r"\s+(?:OR|AND|WITH)\s+", licence.replace("(", "").replace(")", "")):
        if term not in SPDX and not LICENSE_REF.match(term):
            return (
                f"unknown licence {term!r}: use an SPDX identifier (e.g. CC0-1.0, CC-BY-4.0) "
                "or LicenseRef-<name> explained in licence_note"
            )
    return None


def sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def load_yaml(path: Path) -> tuple[dict | None, list[Problem]]:
    """Parse a catalog file; a syntax error becomes a Problem naming its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(str(path), None, "catalog file not found")]
    try:
        doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark else ""
        return None, [Problem(str(path), None, f"{line}not valid YAML: {e}")]
    if not isinstance(doc, dict) or doc.get("version") != 2:
        return None, [Problem(str(path), None, "not an Intake 2 catalog (needs 'version: 2')")]
    for section in ("entries", "data"):
        if not isinstance(doc.get(section), dict):
            return None, [Problem(str(path), None, f"'{section}' must be a mapping")]
    return doc, []


def map_refs(value: Any, rename: Callable[[str], str]) -> Any:
    """A copy of ``value`` (an entry's kwargs) in which each ``{data(NAME)}`` reference, at
    any depth of lists and mappings, is ``{data(rename(NAME))}``."""
    if isinstance(value, dict):
        return {key: map_refs(item, rename) for key, item in value.items()}
    if isinstance(value, list):
        return [map_refs(item, rename) for item in value]
    match = DATA_REF.fullmatch(value) if isinstance(value, str) else None
    return f"{{data({rename(match.group(1))})}}" if match else value


def data_refs(kwargs: Any) -> list[str]:
    """The names of the data items an entry's kwargs refer to, in order."""
    refs: list[str] = []

    def seen(name: str) -> str:
        refs.append(name)
        return name

    map_refs(kwargs, seen)
    return refs


def data_url(doc: dict, entry: dict) -> tuple[str | None, str | None]:
    """The url of the data an entry reads, or (None, why not)."""
    refs = data_refs(entry.get("kwargs"))
    if len(refs) != 1:
        return None, "kwargs must hold exactly one '{data(NAME)}' reference"
    data = doc["data"].get(refs[0])
    if not isinstance(data, dict):
        return None, f"refers to data {refs[0]!r}, which is not in the catalog's data section"
    url = (data.get("kwargs") or {}).get("url")
    if not isinstance(url, str):
        return None, f"data {refs[0]!r} has no url"
    return url, None


def relative_path(url: str) -> str | None:
    """The path below the catalog's folder, or None if the url leaves it or is absolute."""
    if not url.startswith(PREFIX):
        return None
    rel = PurePosixPath(url[len(PREFIX) :])
    if not rel.parts or rel.is_absolute() or ".." in rel.parts or "{" in str(rel):
        return None
    return str(rel)


def entry_path(catalog_file: Path, doc: dict, name: str) -> Path:
    """Local path of the file an entry reads (after its url was checked)."""
    url, _ = data_url(doc, doc["entries"][name])
    return catalog_file.parent / relative_path(url or "")


def check_metadata(file: str, name: str, meta: dict, *, full: bool = True) -> list[Problem]:
    problems = []
    for key in REQUIRED if full else ("description",):
        if not meta.get(key):
            problems.append(Problem(file, name, f"metadata.{key} is missing"))
    if meta.get("licence") and (why := licence_problem(meta["licence"])):
        problems.append(Problem(file, name, f"metadata.licence: {why}"))
    if str(meta.get("licence", "")).startswith("LicenseRef-") and not meta.get("licence_note"):
        problems.append(Problem(file, name, "metadata.licence_note must explain a LicenseRef"))
    if not full:
        return problems
    provenance = meta.get("provenance")
    if provenance and not (isinstance(provenance, dict) and provenance.get("origin")):
        problems.append(Problem(file, name, "metadata.provenance.origin is missing"))
    described = meta.get("columns") or meta.get("variables")
    if not isinstance(described, dict) or not described:
        problems.append(Problem(file, name, "metadata.columns or metadata.variables is missing"))
    return problems


Loader = Callable[[Path], tuple[dict | None, list[Problem]]]


def check(
    catalog_file: Path | str, *, checksums: bool = False, load: Loader = load_yaml
) -> list[Problem]:
    """All problems of a catalog file and the catalogs it nests, in order. ``load`` parses
    a catalog file (a caller may pass a caching one)."""
    path = Path(catalog_file)
    doc, problems = load(path)
    if doc is None:
        return problems
    file = str(path)
    for name, entry in doc["entries"].items():
        if not isinstance(entry, dict) or not isinstance(entry.get("reader"), str):
            problems.append(Problem(file, name, "entry needs a reader (module:Class)"))
            continue
        meta = entry.get("metadata") or {}
        is_catalog = entry["reader"] == CATALOG_READER
        # A nested catalog needs a description; a data entry needs all of REQUIRED.
        problems += check_metadata(file, name, meta, full=not is_catalog)
        url, why = data_url(doc, entry)
        if why:
            problems.append(Problem(file, name, why))
            continue
        rel = relative_path(url)
        if rel is None:
            why = f"broken path {url!r}: must start with {PREFIX} and stay in that folder"
            problems.append(Problem(file, name, why))
            continue
        target = path.parent / rel
        if is_catalog:
            problems += check(target, checksums=checksums, load=load)
            continue
        if not target.is_file():
            problems.append(Problem(file, name, f"missing file {rel} (looked for {target})"))
        elif checksums:
            if not meta.get("sha256"):
                problems.append(Problem(file, name, "metadata.sha256 is missing (not built?)"))
            elif sha256(target) != meta["sha256"]:
                problems.append(Problem(file, name, f"checksum of {rel} does not match sha256"))
    return problems


def require(catalog_file: Path | str, *, checksums: bool = False, load: Loader = load_yaml) -> None:
    """Raise CatalogError listing every problem of the catalog tree, if any."""
    problems = check(catalog_file, checksums=checksums, load=load)
    if problems:
        raise CatalogError(problems)


def walk(
    catalog_file: Path, prefix: str = "", load: Loader = load_yaml
) -> Iterator[tuple[str, Path, dict, str]]:
    """(``theme.entry``, catalog file, its parsed YAML, entry name) for every data entry."""
    doc, problems = load(catalog_file)
    if doc is None:
        raise CatalogError(problems)
    for name, entry in doc["entries"].items():
        if entry.get("reader") == CATALOG_READER:
            yield from walk(entry_path(catalog_file, doc, name), f"{prefix}{name}.", load)
        else:
            yield f"{prefix}{name}", catalog_file, doc, name
