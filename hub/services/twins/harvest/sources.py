"""The sources the commons harvests, each declared once: its name (the twins' collection),
protocol, address, set, metadata format or query, licence, title, citation and schedule.
Kept in the harvest folder's ``sources.json``, written by `echoes harvest add`, or by
`echoes harvest import` from a YAML file of declarations (`read_declarations`, the shape
`DECLARATIONS` shows); a declaration with a mistake is refused with a message naming the
field (and in a file, the file and line)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from .folder import write_atomically

SOURCES = "sources.json"
#: The protocols harvested, each listed by its module (run.LIST_RECORDS).
PROTOCOLS = ("oai-pmh", "iiif", "linked-art", "sparql")
#: The OAI-PMH metadata formats read (records.py).
FORMATS = ("oai_dc", "edm")
#: How often a source is harvested by itself (the twins service's schedule), in seconds;
#: "" is only when an administrator asks.
SCHEDULES = {"": 0, "hourly": 3600, "daily": 86400, "weekly": 7 * 86400}
NAME = re.compile(r"[a-z][a-z0-9-]{0,39}")


#: A file of declarations, as `echoes harvest import` reads it.
DECLARATIONS = """\
sources:
  museum:                       # the name: the twins' collection
    url: https://museum.example/oai
    title: A museum's paintings
    licence: CC0-1.0
    citation: The museum (2026)
    protocol: oai-pmh           # or iiif, linked-art, sparql
    metadata_prefix: edm        # OAI-PMH: oai_dc or edm; set: a set
    schedule: daily             # or hourly, weekly; left out: by hand
"""


class BadSource(ValueError):
    """A declaration that cannot be harvested: the message names the field."""


@dataclass(frozen=True)
class Source:
    name: str
    url: str
    title: str
    licence: str
    citation: str
    protocol: str = "oai-pmh"
    metadata_prefix: str = "oai_dc"  # OAI-PMH's metadata format
    set: str = ""  # OAI-PMH's set
    query: str = ""  # SPARQL's CONSTRUCT query
    schedule: str = ""  # a key of SCHEDULES

    def check(self, taken: set[str] = frozenset()) -> Source:
        """This source, or BadSource naming what is wrong; ``taken``: names in use."""
        if not NAME.fullmatch(self.name):
            raise BadSource(
                f"name {self.name!r}: lower-case letters, digits and hyphens, a letter first"
            )
        if self.name in taken:
            raise BadSource(f"name {self.name!r} is a collection already")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise BadSource(f"url {self.url!r}: an http or https address")
        if self.protocol not in PROTOCOLS:
            raise BadSource(f"protocol {self.protocol!r}: one of {', '.join(PROTOCOLS)}")
        if self.protocol == "oai-pmh" and self.metadata_prefix not in FORMATS:
            raise BadSource(
                f"metadata_prefix {self.metadata_prefix!r}: one of {', '.join(FORMATS)}"
            )
        if self.protocol == "sparql" and "CONSTRUCT" not in self.query.upper():
            raise BadSource("query: a SPARQL CONSTRUCT query (a SPARQL source needs one)")
        if self.schedule not in SCHEDULES:
            raise BadSource(
                f"schedule {self.schedule!r}: one of {', '.join(s for s in SCHEDULES if s)}, "
                "or none"
            )
        for name in ("title", "licence", "citation"):
            if not getattr(self, name).strip():
                raise BadSource(f"{name}: say it (the twins' pages and records carry it)")
        return self


def read_sources(folder: Path) -> dict[str, Source]:
    """The sources declared in the harvest ``folder`` (none yet: empty)."""
    path = folder / SOURCES
    if not path.is_file():
        return {}
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        return {name: Source(**fields) for name, fields in found.items()}
    except (ValueError, TypeError) as error:
        raise BadSource(f"{path}: {error}") from error


def save_source(folder: Path, source: Source, taken: set[str]) -> None:
    """Declare ``source`` (or change its declaration), after checking it; ``taken``: the
    names of collections that are not sources (the data build's, the contributed ones)."""
    sources = read_sources(folder)
    source.check(taken)
    sources[source.name] = source
    document = {name: asdict(s) for name, s in sorted(sources.items())}
    write_atomically(folder / SOURCES, json.dumps(document, indent=2, ensure_ascii=False))


def read_declarations(path: Path, taken: set[str] = frozenset()) -> list[Source]:
    """The sources a YAML file declares (`DECLARATIONS`), each checked; BadSource naming
    the file, the line and what is wrong otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError) as error:
        raise BadSource(f"{path}: {error}") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise BadSource(f"{path}{where}: not valid YAML: {error}") from error

    def bad(node: yaml.Node | None, message: str) -> BadSource:
        where = f", line {node.start_mark.line + 1}" if node is not None else ""
        return BadSource(f"{path}{where}: {message}")

    top = dict((k.value, v) for k, v in root.value) if isinstance(root, yaml.MappingNode) else {}
    listed = top.get("sources")
    if not isinstance(listed, yaml.MappingNode):
        raise bad(root, "a mapping 'sources:' of source names to their declarations")
    known = {f.name for f in fields(Source)} - {"name"}
    found: list[Source] = []
    for key, node in listed.value:
        if not isinstance(node, yaml.MappingNode):
            raise bad(node, f"{key.value}: a mapping of fields ({', '.join(sorted(known))})")
        given: dict[str, str] = {}
        for field_key, value in node.value:
            if field_key.value not in known:
                raise bad(field_key, f"{key.value}: no field {field_key.value!r}")
            if not isinstance(value, yaml.ScalarNode):
                raise bad(value, f"{key.value}: {field_key.value} is a text")
            given[field_key.value] = value.value
        for needed in ("url", "title", "licence", "citation"):
            if needed not in given:
                raise bad(node, f"{key.value}: {needed}: say it")
        source = Source(name=str(key.value), **given)
        try:
            source.check(taken | {s.name for s in found})
        except BadSource as error:
            raise bad(key, str(error)) from error
        found.append(source)
    return found
