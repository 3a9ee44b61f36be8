"""The harvest folder (``<state>/harvest``, the hub's): what was harvested, in the data
build's layout so that the twins service serves it beside the build (store.py).

    sources.json              the sources declared (sources.py)
    BUILD.json                the fingerprint of what twins/ holds, and when it was written
    twins/index.json          one entry per source, as the build's index has
    twins/<name>.json         its twins' Linked Art records, by local id
    twins/<name>.nq           their triples, and their provenance
    origins/<name>.json       per local id: the source's identifier, datestamp, address,
                              when it was harvested, when the source withdrew it
    raw/<name>.json           each record as the source sent it (its XML), by local id
    interpretations/<name>.json  the source's interpretations of its objects (records.Note),
                              by local id: statements on those objects' twins
    state/<name>.json         the last complete harvest (where the next one starts), and
                              the report of each harvest
    state/<name>.lock         held while the source is harvested (one harvest at a time:
                              the command's or the twins service's)

Every file is replaced whole (written beside, flushed, renamed), and BUILD.json last: the
twins service loads a harvest once it is written, never half of one.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .records import Note, Origin, Taken

BUILD_STAMP = "BUILD.json"
TWINS = "twins"
INDEX = "index.json"


def write_atomically(path: Path, text: str | bytes, *, readable: bool = False) -> None:
    """Replace ``path`` with ``text``, so that a crash leaves the old file or the new one.
    The hub's own by default (a new folder 0700, the file 0600); ``readable``: for every
    user server (its folder 0755, the file 0644), as the data build's are."""
    path.parent.mkdir(mode=0o755 if readable else 0o700, parents=True, exist_ok=True)
    if readable:
        path.parent.chmod(0o755)  # whatever the umask made of it
    data = text.encode("utf-8") if isinstance(text, str) else text
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            if readable:
                os.fchmod(file.fileno(), 0o644)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


class HarvestFolder:
    """The harvest folder at ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def index(self) -> dict[str, Any]:
        return read_json(self.root / TWINS / INDEX, {})

    def records(self, name: str) -> dict[str, dict[str, Any]]:
        return read_json(self.root / TWINS / f"{name}.json", {})

    def origins(self, name: str) -> dict[str, Origin]:
        return {
            k: Origin(**v) for k, v in read_json(self.root / "origins" / f"{name}.json", {}).items()
        }

    def notes(self, name: str) -> dict[str, Note]:
        found = read_json(self.root / "interpretations" / f"{name}.json", {})
        return {k: Note(**v) for k, v in found.items()}

    def state(self, name: str) -> dict[str, Any]:
        return read_json(self.root / "state" / f"{name}.json", {"last": None, "harvests": []})

    def raw(self, name: str) -> dict[str, str]:
        """Each record of the source ``name`` as it sent it, by local id."""
        return read_json(self.root / "raw" / f"{name}.json", {})

    def write_collection(
        self, name: str, entry: dict[str, Any], taken: Taken, quads: list[ox.Quad]
    ) -> None:
        """Write one source's twins, their triples, origins, raw records, interpretations
        and index entry; then the stamp, whose new fingerprint tells the twins service to
        load them."""
        twins = self.root / TWINS

        def text(found: dict[str, Any]) -> str:
            return json.dumps(found, ensure_ascii=False)

        write_atomically(self.root / "raw" / f"{name}.json", text(taken.raw))
        notes = {k: asdict(v) for k, v in taken.notes.items()}
        write_atomically(self.root / "interpretations" / f"{name}.json", text(notes))
        write_atomically(twins / f"{name}.json", text(taken.records))
        write_atomically(twins / f"{name}.nq", ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
        origins = {k: asdict(v) for k, v in taken.origins.items()}
        write_atomically(self.root / "origins" / f"{name}.json", text(origins))
        index = self.index()
        index[name] = entry
        write_atomically(twins / INDEX, json.dumps(index, indent=2, ensure_ascii=False))
        self.stamp()

    @contextmanager
    def harvesting(self, name: str) -> Iterator[bool]:
        """Hold the source's lock while the block runs; yield False (and hold nothing)
        when another process or thread holds it. The system drops a dead holder's lock."""
        path = self.root / "state" / f"{name}.lock"
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with path.open("a") as file:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(file, fcntl.LOCK_UN)

    def save_state(self, name: str, state: dict[str, Any]) -> None:
        write_atomically(self.root / "state" / f"{name}.json", json.dumps(state, indent=2))

    def stamp(self) -> None:
        """A new BUILD.json: the digest of every file under twins/, and the time."""
        digest = hashlib.sha256()
        for path in sorted((self.root / TWINS).glob("*")):
            if path.name.startswith("."):
                continue
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        stamp = {
            "fingerprint": "harvest-" + digest.hexdigest(),
            "built": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        write_atomically(self.root / BUILD_STAMP, json.dumps(stamp, indent=2))
