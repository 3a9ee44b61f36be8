"""Drafts: a contribution the twins service's wizard is preparing, before it is published.

A draft is a folder of its contributor's (``<harvest folder>/drafts/<owner>/<id>``, the
owner a hash of the hub user's name): the uploaded sheet under its own file name, and
``draft.json`` with what the contributor chose so far (the mapping, the collection's
name, title, licence and citation, the group that shares it) and where it stands in a
review. It stays private until it is published: its contributor and, when they share it,
the members of one of their hub groups see and change it (`Draft.shared_with`); when
contributions are moderated, an administrator sees it once it is submitted, to publish it
or send it back. Publishing it reads the sheet again, checks every row again and
publishes with `publish.publish`, as `echoes contribute publish` does.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import secrets
import shutil
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..harvest.folder import write_atomically
from ..text_languages import text_languages
from .mapping import check_mapping, suggest
from .sheets import Sheet, read_sheet

#: Sheets the wizard takes (an older or another program's format is named by read_sheet).
SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
#: What the contributor chooses besides the mapping, each a text.
CHOICES = ("name", "title", "licence", "citation")
#: What a draft's id looks like (secrets.token_urlsafe(12)).
DRAFT_ID = re.compile(r"[A-Za-z0-9_-]{16}")


class NoDraft(LookupError):
    """No draft of that id is the caller's."""


class BadImages(ValueError):
    """A zip of photographs that is not taken (the message names the zip and the file)."""


@dataclass
class Draft:
    id: str
    contributor: str
    file: str
    fields: dict[str, str | None]
    name: str = ""
    title: str = ""
    licence: str = ""
    citation: str = ""
    #: The ISO 639-1 code of the language the sheet's texts are in ("": not said).
    language: str = ""
    #: The hub group whose members share the draft with its contributor ("": nobody).
    group: str = ""
    #: When it was submitted for an administrator's review (ISO time; "": it is not), by
    #: whom and with which groups then (who may re-publish a collection is theirs to be).
    submitted: str = ""
    submitted_by: str = ""
    submitted_groups: list[str] = field(default_factory=list)
    #: Why an administrator sent it back ("": never, or submitted again since).
    review: str = ""
    folder: Path = field(default=Path(), repr=False)

    def shared_with(self, name: str, groups: frozenset[str]) -> bool:
        """Whether the hub user ``name`` (in ``groups``) sees and changes the draft."""
        return name == self.contributor or bool(self.group and self.group in groups)

    @property
    def sheet_path(self) -> Path:
        return self.folder / self.file

    @property
    def images(self) -> Path | None:
        """The folder of the photographs from the draft's zip, if it has one."""
        folder = self.folder / "images"
        return folder if folder.is_dir() else None

    def sheet(self) -> Sheet:
        return read_sheet(self.sheet_path)

    def save(self) -> None:
        said = {k: v for k, v in asdict(self).items() if k != "folder"}
        write_atomically(self.folder / "draft.json", json.dumps(said, indent=1).encode())


def safe_file_name(name: str) -> str:
    """An uploaded file's name as kept: its last part, letters, digits, dots, hyphens,
    underscores and spaces only, never hidden."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^\w. -]", "_", base).strip(" .") or "sheet"
    return base[:120]


class Drafts:
    """The drafts in ``root`` (``<harvest folder>/drafts``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _owner(self, contributor: str) -> Path:
        return self.root / hashlib.sha256(contributor.encode()).hexdigest()[:24]

    def _read(self, folder: Path) -> Draft:
        said = json.loads((folder / "draft.json").read_text())
        return Draft(**said, folder=folder)

    def create(self, contributor: str, file_name: str, data: bytes) -> Draft:
        """A draft of the sheet ``data`` uploaded as ``file_name``; BadSheet (nothing kept)
        when it cannot be read."""
        name = safe_file_name(file_name)
        folder = self._owner(contributor) / secrets.token_urlsafe(12)
        folder.mkdir(parents=True, mode=0o700)
        try:
            write_atomically(folder / name, data)
            sheet = read_sheet(folder / name)
        except Exception:
            shutil.rmtree(folder)
            raise
        draft = Draft(folder.name, contributor, name, suggest(sheet.header), folder=folder)
        draft.save()
        return draft

    def get(self, draft_id: str) -> Draft:
        """The draft ``draft_id``, whoever's it is (the caller decides who may see it)."""
        if DRAFT_ID.fullmatch(draft_id):
            for folder in self.root.glob(f"*/{draft_id}"):
                if (folder / "draft.json").is_file():
                    return self._read(folder)
        raise NoDraft(draft_id)

    def every(self) -> list[Draft]:
        """Every draft, the newest upload first."""
        # A folder without its draft.json is an upload cut short (a crash): not a draft.
        found = [self._read(p.parent) for p in self.root.glob("*/*/draft.json")]
        return sorted(found, key=lambda d: d.sheet_path.stat().st_mtime, reverse=True)

    def delete(self, draft: Draft) -> None:
        shutil.rmtree(draft.folder)


def unpack_images(draft: Draft, file_name: str, data: bytes, max_bytes: int, max_total: int) -> int:
    """The photographs of the zip ``data`` as the draft's images folder (replacing any
    earlier one), each under its own file name (a zip's folders are dropped); the count.
    BadImages, nothing kept, for a zip that is not one, a file whose path leaves the zip
    (absolute, ``..``), two files of one name, a file over ``max_bytes`` or more than
    ``max_total`` bytes in all (as the zip says, and as read)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise BadImages(f"{file_name}: not a zip file ({error})") from error
    # Folders, and what macOS adds (__MACOSX/, ._ files) or other hidden files, are left.
    members = [
        m
        for m in archive.infolist()
        if not m.is_dir()
        and not m.filename.startswith("__MACOSX/")
        and not re.split(r"[\\/]", m.filename)[-1].startswith(".")
    ]
    seen: dict[str, str] = {}
    total = 0
    for member in members:
        parts = re.split(r"[\\/]", member.filename)
        if member.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise BadImages(f"{file_name}: {member.filename!r} leaves the zip's folder")
        name = safe_file_name(parts[-1])
        if name in seen:
            raise BadImages(
                f"{file_name}: {seen[name]!r} and {member.filename!r} have one file name: "
                "rows name photographs by file name"
            )
        seen[name] = member.filename
        if member.file_size > max_bytes:
            raise BadImages(
                f"{file_name}: {member.filename!r} has {member.file_size} bytes, more than "
                f"{max_bytes} (TwinsService.contribute_max_image_bytes)"
            )
        total += member.file_size
    if total > max_total:
        raise BadImages(
            f"{file_name}: {total} bytes unpacked, more than {max_total} "
            "(TwinsService.contribute_max_unpacked_bytes): send the photographs in parts"
        )
    unpacked = draft.folder / "images.new"
    shutil.rmtree(unpacked, ignore_errors=True)
    unpacked.mkdir()
    written = 0
    try:
        for name, member in zip(seen, members, strict=True):
            with archive.open(member) as source:
                body = source.read(max_bytes + 1)  # a header that lies is not believed
            written += len(body)
            if len(body) > max_bytes or written > max_total:
                raise BadImages(f"{file_name}: {member.filename!r} is larger than it says")
            (unpacked / name).write_bytes(body)
    except (zipfile.BadZipFile, OSError, RuntimeError) as error:  # RuntimeError: encrypted
        shutil.rmtree(unpacked)
        raise BadImages(f"{file_name}: cannot be unpacked ({error})") from error
    except BadImages:
        shutil.rmtree(unpacked)
        raise
    shutil.rmtree(draft.folder / "images", ignore_errors=True)
    unpacked.rename(draft.folder / "images")
    return len(list((draft.folder / "images").iterdir()))


def updated(draft: Draft, sheet: Sheet, said: dict[str, Any]) -> Draft:
    """``draft`` with what the contributor said (fields: column or None per field; name,
    title, licence, citation; the texts' language), the mapping checked against the sheet
    (BadMapping); ValueError for a value that is not taken."""
    fields = said.get("fields")
    if fields is not None:
        draft.fields = check_mapping({"fields": fields}, sheet, "fields")
    for key in (*CHOICES, "language"):
        if key in said:
            value = said[key]
            if not isinstance(value, str):
                raise ValueError(f"{key}: a text")
            setattr(draft, key, value.strip())
    if draft.language and draft.language not in text_languages():
        raise ValueError(
            f"language {draft.language!r}: an ISO 639-1 code ({', '.join(text_languages())}), "
            'or "" when not said'
        )
    return draft
