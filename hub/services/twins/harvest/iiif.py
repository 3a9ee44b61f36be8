"""IIIF Presentation 3 and 2 sources: a Collection (its sub-collections followed) or a single
Manifest, each manifest a record. Presentation 2 is upgraded to 3 on the way in
(iiif_upgrade.py), so one reader maps both to what a record says (`Described`): label,
summary, metadata by their labels, rights, required statement, provider, homepage,
thumbnail and the Image API services of the first canvases' images.

IIIF has no "changed since": each harvest reads the whole collection, and the listing is
whole (run.py withdraws the twins of manifests no longer listed; an unchanged manifest
makes the same twin, so nothing is written). Every answer is bounded (fetch.py); the
collections are walked first, within `MAX_DEPTH` and `MAX_COLLECTIONS` (a collection
listed again, a cycle, is skipped), and a collection that cannot be read ends the harvest,
since the manifests it lists would otherwise be withdrawn. A manifest that cannot be read
is reported with the reason and the harvest goes on, unless `FAILING_IN_A_ROW` fail one
after the other (a source that hangs: each would take the whole timeout).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import nh3

from .fetch import Limits, SourceFailed, get_json_text
from .iiif_upgrade import as_list, ident, kind, upgrade
from .records import Described, Harvested, Listing
from .sources import Source

#: How deep collections may nest under the source's (it is depth 0).
MAX_DEPTH = 8
#: How many collections a source may have, its own included.
MAX_COLLECTIONS = 2000
#: How many manifests a source may list.
MAX_MANIFESTS = 200_000
#: Manifests that fail one after another before the harvest ends (a source that hangs).
FAILING_IN_A_ROW = 10
#: Image API services kept per manifest (a book's manifest has a canvas per page).
IMAGES_KEPT = 10
#: A metadata pair's label (lower case) and the element of `Described` its value goes to;
#: any other pair is a description, "Label: value".
ELEMENTS = {
    "creator": "creators",
    "author": "creators",
    "artist": "creators",
    "maker": "creators",
    "made by": "creators",
    "date": "dates",
    "date created": "dates",
    "type": "types",
    "object type": "types",
    "medium": "media",
    "material": "media",
    "materials": "media",
    "place": "places",
    "location": "places",
    "place of origin": "places",
    "subject": "subjects",
    "subjects": "subjects",
    "identifier": "identifiers",
    "accession number": "identifiers",
    "current owner": "providers",
}
#: IIIF Presentation 3 first, as the specification asks a client to say.
ACCEPT = (
    'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json", application/json'
)
BREAKS = re.compile(r"<br\s*/?>|</(?:p|div|li|h\d)\s*>", re.IGNORECASE)


def document(url: str, limits: Limits) -> tuple[Any, str]:
    """The JSON document at ``url`` and its text as sent, or SourceFailed saying why not."""
    found, text = get_json_text(url, limits, ACCEPT)
    if not isinstance(found, dict):
        raise SourceFailed(f"{url}: a JSON answer that is not a IIIF resource (no object)")
    return found, text


#: What reading a document of an unexpected shape may raise (nothing is trusted in it).
UNREADABLE = (TypeError, ValueError, AttributeError, KeyError, RecursionError)


def upgraded(found: dict[str, Any], url: str) -> dict[str, Any]:
    """A collection or manifest as Presentation 3, or SourceFailed saying why not."""
    try:
        return upgrade(found)
    except UNREADABLE as error:
        raise SourceFailed(f"{url}: a document that cannot be read: {error!r}") from error


def list_records(
    source: Source, since: str | None, state: dict[str, Any], limits: Limits
) -> Listing:
    """Every manifest of the source (``since`` unused: IIIF cannot say what changed)."""
    answered = datetime.now(UTC).isoformat(timespec="seconds")
    found, text = document(source.url, limits)
    top = upgraded(found, source.url)
    if kind(top) == "Manifest":
        item = harvested(ident(top) or source.url, found, text)
        return Listing(iter([item]), answered, whole=True, total=1)
    if kind(top) != "Collection":
        raise SourceFailed(f"{source.url}: neither a IIIF Collection nor a Manifest")
    manifests = walk(source.url, top, limits)
    return Listing(manifests_of(manifests, limits), answered, whole=True, total=len(manifests))


def walk(url: str, top: dict[str, Any], limits: Limits) -> list[str]:
    """The manifests the collection ``top`` (at ``url``) lists, its sub-collections'
    included, each once, in the order listed."""
    manifests: dict[str, None] = {}
    seen = {url, ident(top)}

    def visit(collection: dict[str, Any], depth: int) -> None:
        for item in as_list(collection.get("items")):
            identifier = ident(item)
            if not identifier or not isinstance(item, dict):
                continue
            if kind(item) == "Manifest":
                manifests[identifier] = None
                if len(manifests) > MAX_MANIFESTS:
                    raise SourceFailed(f"{url}: more than {MAX_MANIFESTS} manifests")
            elif kind(item) == "Collection" and identifier not in seen:
                if depth + 1 > MAX_DEPTH:
                    raise SourceFailed(f"{identifier}: collections nested deeper than {MAX_DEPTH}")
                seen.add(identifier)
                if len(seen) > MAX_COLLECTIONS + 1:  # + 1: the source's url and its id
                    raise SourceFailed(f"{url}: more than {MAX_COLLECTIONS} collections")
                sub = upgraded(document(identifier, limits)[0], identifier)
                if kind(sub) != "Collection":
                    raise SourceFailed(f"{identifier}: listed as a Collection, not one")
                seen.add(ident(sub))
                visit(sub, depth + 1)

    visit(top, 0)
    return list(manifests)


def manifests_of(identifiers: list[str], limits: Limits) -> Iterator[Harvested]:
    failing = 0
    for identifier in identifiers:
        try:
            found, text = document(identifier, limits)
            item = harvested(identifier, found, text)
        except SourceFailed as error:
            item = Harvested(identifier, problem=str(error))
        failing = failing + 1 if item.problem else 0
        if failing >= FAILING_IN_A_ROW:
            raise SourceFailed(f"{failing} manifests failed in a row, the last: {item.problem}")
        yield item


def harvested(identifier: str, found: dict[str, Any], text: str) -> Harvested:
    """One manifest (as sent: ``found``, ``text``) as a harvested record."""
    try:
        manifest = upgraded(found, identifier)
        if kind(manifest) != "Manifest":
            problem = f"not a IIIF Manifest: a {kind(manifest) or '?'}"
            return Harvested(identifier, problem=problem)
        said = described(manifest)
    except SourceFailed as error:
        return Harvested(identifier, problem=str(error))
    except UNREADABLE as error:
        return Harvested(identifier, problem=f"a manifest that cannot be read: {error!r}")
    stamp = manifest.get("navDate")
    return Harvested(identifier, stamp if isinstance(stamp, str) else "", identifier, text, said)


def plain(value: Any) -> str:
    """A IIIF value as text: the little HTML it may have dropped (what a script or style
    element holds with it), entities read, spaces collapsed."""
    text = str(value)
    if "<" in text or "&" in text:
        text = html.unescape(nh3.clean(BREAKS.sub(" ", text), tags=set()))
    return " ".join(text.split())


def values(language_map: Any) -> list[str]:
    """Every value of a language map, in every language, each once."""
    given = language_map.values() if isinstance(language_map, dict) else [language_map]
    found: list[str] = []
    for value in (v for g in given for v in as_list(g)):  # a string where a map belongs too
        text = plain(value) if isinstance(value, (str, int, float)) else ""
        if text and text not in found:
            found.append(text)
    return found


def image_services(manifest: dict[str, Any]) -> list[str]:
    """The Image API services of the images painted on the manifest's canvases, in order
    (at most `IMAGES_KEPT`)."""
    found: list[str] = []
    for canvas in as_list(manifest.get("items")):
        for page in as_list(canvas.get("items") if isinstance(canvas, dict) else None):
            for annotation in as_list(page.get("items") if isinstance(page, dict) else None):
                if not isinstance(annotation, dict):
                    continue
                bodies = as_list(annotation.get("body"))
                bodies += [
                    o for b in bodies if isinstance(b, dict) for o in as_list(b.get("items"))
                ]
                for body in bodies:
                    if not isinstance(body, dict):
                        continue
                    for service in as_list(body.get("service")):
                        base = image_service(service)
                        if base and base not in found:
                            found.append(base)
                            if len(found) == IMAGES_KEPT:
                                return found
    return found


def image_service(service: Any) -> str:
    """The base of an Image API service (its id without ``/info.json``), else ""."""
    if not isinstance(service, dict):
        return ""
    kind_ = str(service.get("type") or service.get("@type") or "")
    context = str(service.get("@context") or "")
    if not (kind_.startswith("ImageService") or "/api/image/" in context):
        return ""
    base = ident(service).removesuffix("/info.json").rstrip("/")
    return base if base.startswith(("http://", "https://")) else ""


def described(manifest: dict[str, Any]) -> Described:
    """What a Presentation 3 manifest says."""
    said = Described(
        titles=values(manifest.get("label")),
        descriptions=values(manifest.get("summary")),
    )
    for pair in as_list(manifest.get("metadata")):
        if not isinstance(pair, dict):
            continue
        names, given = values(pair.get("label")), values(pair.get("value"))
        if not names or not given:
            continue
        keys = [n.lower().rstrip(":").strip() for n in names]
        element = next((ELEMENTS[k] for k in keys if k in ELEMENTS), None)
        if element:
            found = getattr(said, element)
            found += [v for v in given if v not in found]
        else:
            said.descriptions += [f"{names[0]}: {v}" for v in given]
    rights = manifest.get("rights")
    if isinstance(rights, str) and rights:
        said.rights.append(rights)
    providers = [
        v
        for p in as_list(manifest.get("provider"))
        if isinstance(p, dict)
        for v in values(p.get("label"))
    ]
    statement = manifest.get("requiredStatement")
    if isinstance(statement, dict):
        providers += values(statement.get("value"))
    said.providers += [p for n, p in enumerate(providers) if p not in providers[:n]]
    said.shown_at = [ident(h) for h in as_list(manifest.get("homepage")) if ident(h)]
    said.shown_by = [ident(t) for t in as_list(manifest.get("thumbnail")) if ident(t)]
    said.image_services = image_services(manifest)
    return said
