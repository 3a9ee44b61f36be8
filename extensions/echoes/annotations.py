"""Annotations from a notebook: the client of the hub's annotation service.

    from echoes import annotations as ann
    ann.annotate(ann.region(canvas, 10, 20, 30, 40), "A crack across the rim")
    ann.annotate(ann.polygon(canvas, [(10, 10), (60, 12), (30, 50)]), "The owl")
    ann.on(canvas)                       # a pandas DataFrame, one row per annotation
    ann.search(q="kiln", motivation="tagging")
    ann.export()                         # a W3C AnnotationCollection (JSON-LD)

Inside a user server it finds the service and authenticates as echoes.hub says: at
ECHOES_ANNOTATIONS_URL, with the server's hub token (JUPYTERHUB_API_TOKEN).

Targets: ``catalog_item("heritage/archaeometry/pottery")`` is
``urn:echoes:catalog:heritage/archaeometry/pottery``; images are IIIF canvases.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from typing import Any

import httpx

from .hub import Hub, ServiceRefused, refusal, send

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = f'application/ld+json; profile="{ANNO_CONTEXT}"'
SERVICE = "annotations"
#: Where the service's own addresses begin in its IRIs, whatever the host.
MARKER = f"/services/{SERVICE}/"


class AnnotationServiceError(ServiceRefused):
    """The annotation service refused a request; ``status`` and ``reply`` say why."""


# --- targets -------------------------------------------------------------------------


def catalog_item(path: str) -> str:
    """The IRI of an entry of the ECHOES catalogs, e.g. ``heritage/archaeometry/pottery``."""
    return f"urn:echoes:catalog:{path.strip('/')}"


def entry_item(name: str) -> str:
    """The IRI of the catalog entry ``name`` (``theme.entry``, e.g. ``images.coins``)."""
    return catalog_item("heritage/" + name.replace(".", "/"))


def entry_canvas(name: str, data_dir: str | os.PathLike | None = None) -> dict:
    """The IIIF canvas of the image entry ``name``: what region annotations on it target.

    Read from the entry's IIIF manifest in the shared data folder (``data_dir``, else as
    ``echoes.catalog()`` finds it): its ``id``, ``partOf`` the manifest, as any IIIF viewer
    names the image. One rule (echoes_data.canvases) for every view (the JupyterLab
    extension, the widgets, the AI annotators), so they all show the same annotations."""
    from echoes_data import canvases

    from . import catalogs

    found = canvases.canvases(catalogs.root_path(data_dir), load=catalogs.load_yaml_cached)
    if name not in found:
        raise LookupError(f"catalog entry {name!r} is not an image of a IIIF manifest")
    return found[name]


def region(canvas: str | dict, x: float, y: float, w: float, h: float) -> dict:
    """A rectangle on an image (IIIF canvas), in pixels."""
    return {
        "type": "SpecificResource",
        "source": canvas,
        "selector": {
            "type": "FragmentSelector",
            "conformsTo": "http://www.w3.org/TR/media-frags/",
            "value": f"xywh={_num(x)},{_num(y)},{_num(w)},{_num(h)}",
        },
    }


def polygon(canvas: str | dict, points: Iterable[tuple[float, float]]) -> dict:
    """A polygon on an image (IIIF canvas): its corners in pixels, as a W3C SvgSelector
    (the form Annotorious and Mirador write)."""
    corners = [(float(x), float(y)) for x, y in points]
    if len(corners) < 3:
        raise ValueError("a polygon needs at least 3 points")
    listed = " ".join(f"{_num(x)},{_num(y)}" for x, y in corners)
    return {
        "type": "SpecificResource",
        "source": canvas,
        "selector": {
            "type": "SvgSelector",
            "value": f'<svg xmlns="http://www.w3.org/2000/svg"><polygon points="{listed}"/></svg>',
        },
    }


def table_row(source: str, row: int, last: int | None = None) -> dict:
    """A row (or rows ``row``..``last``) of a table, as an RFC 7111 fragment."""
    value = f"row={row}" if last is None else f"row={row}-{last}"
    return {
        "type": "SpecificResource",
        "source": source,
        "selector": {
            "type": "FragmentSelector",
            "conformsTo": "http://tools.ietf.org/rfc/rfc7111",
            "value": value,
        },
    }


def time_range(source: str, start: float, end: float) -> dict:
    """Seconds ``start`` to ``end`` of a recording or a time series."""
    return {
        "type": "SpecificResource",
        "source": source,
        "selector": {
            "type": "FragmentSelector",
            "conformsTo": "http://www.w3.org/TR/media-frags/",
            "value": f"t={_num(start)},{_num(end)}",
        },
    }


def text_quote(source: str, exact: str, prefix: str = "", suffix: str = "") -> dict:
    """A quotation in a text, with optional context before and after."""
    selector = {"type": "TextQuoteSelector", "exact": exact}
    selector.update({k: v for k, v in (("prefix", prefix), ("suffix", suffix)) if v})
    return {"type": "SpecificResource", "source": source, "selector": selector}


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _bodies(body: Any, tags: Iterable[str]) -> list:
    bodies = []
    if isinstance(body, str):
        bodies.append({"type": "TextualBody", "value": body, "format": "text/plain"})
    elif isinstance(body, list):
        bodies += body
    elif body is not None:
        bodies.append(body)
    bodies += [{"type": "TextualBody", "value": t, "purpose": "tagging"} for t in tags]
    return bodies


# --- the client ----------------------------------------------------------------------


class AnnotationClient:
    """One user's connection to the annotation service."""

    def __init__(
        self, url: str | None = None, token: str | None = None, container: str = "default"
    ) -> None:
        #: The hub this client acts in (echoes.hub), with ``token`` when given.
        self.hub = Hub.from_environ().with_token(token or "")
        self.token = self.hub.token
        self.session = self.hub.client(timeout=60)
        self.url = (url or self.hub.service_url(SERVICE)).rstrip("/") + "/"
        self.container = container

    # plumbing

    def _request(self, method: str, url: str, **kwargs) -> httpx.Response:
        if not url.startswith(("http://", "https://")):
            url = self.url + url
        elif MARKER in url and not url.startswith(self.url):
            # An IRI names the service's public host, for browsers; ask at our address.
            url = self.url + url.split(MARKER, 1)[1]
        reply = send(self.session, method, url, **kwargs)
        if reply.status_code >= 400:
            raise AnnotationServiceError(reply.status_code, refusal(reply))
        return reply

    def _send(self, method: str, url: str, document: Any, **headers) -> httpx.Response:
        content = json.dumps(document).encode("utf-8")
        return self._request(
            method, url, content=content, headers={"Content-Type": MEDIA_TYPE, **headers}
        )

    def _container_url(self, container: str | None) -> str:
        return f"{self.url}containers/{container or self.container}/"

    def whoami(self) -> str:
        """The hub user this client acts for."""
        return self._request("GET", self.url).json()["user"]

    # writing

    def annotate(
        self,
        target: Any,
        body: Any = None,
        motivation: str | list[str] = "commenting",
        *,
        tags: Iterable[str] = (),
        visibility: str = "private",
        creator: dict | None = None,
        confidence: float | None = None,
        container: str | None = None,
        **extra: Any,
    ) -> dict:
        """Create an annotation on ``target``; return it as stored (with ``id`` and ETag)."""
        document = self.document(target, body, motivation, tags, visibility, creator, confidence)
        document.update(extra)
        reply = self._send("POST", self._container_url(container), document)
        return {**reply.json(), "etag": reply.headers.get("ETag")}

    @staticmethod
    def document(
        target: Any,
        body: Any = None,
        motivation: str | list[str] = "commenting",
        tags: Iterable[str] = (),
        visibility: str = "private",
        creator: dict | None = None,
        confidence: float | None = None,
    ) -> dict:
        """The JSON-LD of an annotation, without sending it."""
        document: dict[str, Any] = {
            "@context": ANNO_CONTEXT,
            "type": "Annotation",
            "motivation": motivation,
            "target": target,
            "visibility": visibility,
        }
        bodies = _bodies(body, tags)
        if bodies:
            document["body"] = bodies[0] if len(bodies) == 1 else bodies
        if creator is not None:
            document["creator"] = creator
        if confidence is not None:
            document["confidence"] = confidence
        return document

    def annotate_many(self, documents: list[dict], container: str | None = None) -> list[str]:
        """Create many annotations in one request and one transaction; return their IRIs."""
        page = {"@context": ANNO_CONTEXT, "type": "AnnotationPage", "items": documents}
        return self._send("POST", f"{self._container_url(container)}import", page).json()["items"]

    def get(self, iri: str) -> dict:
        reply = self._request("GET", iri)
        return {**reply.json(), "etag": reply.headers.get("ETag")}

    def update(self, annotation: dict) -> dict:
        """Replace an annotation you read with ``get``/``annotate`` (its ETag guards the change)."""
        document = {k: v for k, v in annotation.items() if k != "etag"}
        reply = self._send("PUT", annotation["id"], document, **{"If-Match": annotation["etag"]})
        return {**reply.json(), "etag": reply.headers.get("ETag")}

    def delete(self, annotation: dict | str) -> None:
        if isinstance(annotation, str):
            self._request("DELETE", annotation)
        else:
            self._request("DELETE", annotation["id"], headers={"If-Match": annotation["etag"]})

    def revisions(self, iri: str) -> list[dict]:
        return self._request("GET", f"{iri}/revisions").json()["items"]

    def create_container(self, name: str, label: str = "") -> dict:
        return self._send("POST", f"{self.url}containers/", {"name": name, "label": label}).json()

    def _assess(self, annotation: dict | str, verdict: str, note: str | None, visibility: str):
        iri = annotation if isinstance(annotation, str) else annotation["id"]
        bodies = [{"type": "TextualBody", "value": verdict, "purpose": "assessing"}]
        if note:
            bodies.append({"type": "TextualBody", "value": note, "purpose": "commenting"})
        return self.annotate(iri, bodies, "assessing", visibility=visibility)

    def reply(self, annotation: dict | str, text: str, visibility: str | None = None) -> dict:
        """Reply to an annotation (W3C motivation ``replying``, its target the annotation's
        IRI): the thread under it in the views. As visible as what it answers unless told."""
        parent = annotation if isinstance(annotation, dict) else self.get(annotation)
        if not text.strip():
            raise ValueError("a reply needs a text")
        shown = visibility or parent.get("visibility") or "private"
        return self.annotate(parent["id"], text.strip(), "replying", visibility=shown)

    def accept(self, annotation: dict | str, note: str | None = None, visibility: str = "public"):
        """Accept a proposed (e.g. software) annotation: an `assessing` reply by you."""
        return self._assess(annotation, "accepted", note, visibility)

    def reject(self, annotation: dict | str, note: str | None = None, visibility: str = "public"):
        """Reject a proposed annotation: an `assessing` reply by you saying so."""
        return self._assess(annotation, "rejected", note, visibility)

    # reading

    def pages(self, **criteria: Any) -> Iterator[dict]:
        """Every AnnotationPage of a search, following ``next``."""
        params = {k: v for k, v in criteria.items() if v is not None}
        page = self._request("GET", f"{self.url}search", params=params).json()
        yield page
        while "next" in page:
            page = self._request("GET", page["next"]).json()
            yield page

    def search(
        self,
        target: str | None = None,
        *,
        creator: str | None = None,
        motivation: str | None = None,
        tag: str | None = None,
        visibility: str | None = None,
        q: str | None = None,
        limit: int | None = None,
    ) -> list[dict]:
        """Annotations you may read that match every criterion given."""
        found: list[dict] = []
        criteria = dict(
            target=target,
            creator=creator,
            motivation=motivation,
            tag=tag,
            visibility=visibility,
            q=q,
        )
        for page in self.pages(**criteria):
            found += page["items"]
            if limit is not None and len(found) >= limit:
                return found[:limit]
        return found

    def on(self, target: str, **criteria: Any):
        """All annotations on ``target`` (an object, image or canvas) as a pandas DataFrame."""
        return to_frame(self.search(target, **criteria))

    def export(self, container: str | None = None, **criteria: Any) -> dict:
        """A container, or a search when ``container`` is None, as one AnnotationCollection."""
        params = {k: v for k, v in criteria.items() if v is not None}
        if container is None:
            return self._request("GET", f"{self.url}export", params=params).json()
        return self._request("GET", f"{self._container_url(container)}export", params=params).json()

    def import_collection(
        self, collection: dict | list, container: str | None = None, keep_creators: bool = False
    ) -> list[str]:
        """Import an AnnotationCollection or AnnotationPage (e.g. from Mirador); return new IRIs.

        You become the creator of what you import; each annotation keeps its original id
        in ``via`` and a creator from elsewhere in ``as:attributedTo``. Administrators
        may pass ``keep_creators=True`` to keep the creators as they are (migrations).
        """
        url = f"{self._container_url(container)}import"
        if keep_creators:
            url += "?creators=keep"
        return self._send("POST", url, collection).json()["items"]


COLUMNS = [
    "id",
    "motivation",
    "creator",
    "creator_type",
    "on_behalf_of",
    "text",
    "tags",
    "source",
    "selector",
    "confidence",
    "visibility",
    "created",
    "modified",
]


def to_frame(items: list[dict] | dict):
    """One row per annotation, with the creator, text, tags, target and selector spelled out;
    a field an annotation lacks (a person's has no confidence) is empty. ``items`` is a list
    of annotations, or an AnnotationPage or AnnotationCollection (``export``) as JSON-LD."""
    import pandas as pd

    if isinstance(items, dict):
        page = items.get("first", items) if items.get("type") == "AnnotationCollection" else items
        items = page.get("items", []) if isinstance(page, dict) else []
    return pd.DataFrame([_row(a) for a in items], columns=COLUMNS)


def creator_columns(creator: Any) -> dict[str, Any]:
    """A W3C creator (a Person or a Software agent; a list of them: the first; a bare
    name) as the columns every table of contributions has (annotations here, the twins'
    interpretations in echoes.twins): ``creator`` (nickname, else name), ``creator_type``
    and ``on_behalf_of`` (whom a program acted for)."""
    creator = creator[0] if isinstance(creator, list) and creator else creator
    creator = creator if isinstance(creator, dict) else {"name": creator}
    behalf = creator.get("actedOnBehalfOf") or {}
    behalf = behalf if isinstance(behalf, dict) else {"name": behalf}
    return {
        "creator": creator.get("nickname") or creator.get("name"),
        "creator_type": creator.get("type"),
        "on_behalf_of": behalf.get("nickname") or behalf.get("name"),
    }


def _row(annotation: dict) -> dict:
    bodies = annotation.get("body", [])
    bodies = bodies if isinstance(bodies, list) else [bodies]
    texts = [b.get("value", "") for b in bodies if isinstance(b, dict)]
    tags = [b["value"] for b in bodies if isinstance(b, dict) and b.get("purpose") == "tagging"]
    target = annotation.get("target")
    target = target[0] if isinstance(target, list) and target else target
    source, selector = target, None
    if isinstance(target, dict):
        source = target.get("source", target.get("id"))
        source = source.get("id") if isinstance(source, dict) else source
        chosen = target.get("selector")
        chosen = chosen[0] if isinstance(chosen, list) and chosen else chosen
        if isinstance(chosen, dict):
            selector = chosen.get("value") or chosen.get("exact")
    motivation = annotation.get("motivation")
    return {
        "id": annotation.get("id"),
        "motivation": ",".join(motivation) if isinstance(motivation, list) else motivation,
        **creator_columns(annotation.get("creator")),
        "text": " ".join(t for t in texts if t not in tags),
        "tags": tags,
        "source": source,
        "selector": selector,
        "confidence": annotation.get("confidence"),
        "visibility": annotation.get("visibility"),
        "created": annotation.get("created"),
        "modified": annotation.get("modified"),
    }


# --- module-level shortcuts, on one default client ---------------------------------------

_default: AnnotationClient | None = None


def client() -> AnnotationClient:
    """The default client of this notebook (created on first use)."""
    global _default
    if _default is None:
        _default = AnnotationClient()
    return _default


def annotate(target: Any, body: Any = None, motivation: str | list[str] = "commenting", **kw):
    return client().annotate(target, body, motivation, **kw)


def search(target: str | None = None, **criteria: Any) -> list[dict]:
    return client().search(target, **criteria)


def on(target: str, **criteria: Any):
    return client().on(target, **criteria)


def export(container: str | None = None, **criteria: Any) -> dict:
    return client().export(container, **criteria)


def accept(annotation: dict | str, note: str | None = None) -> dict:
    return client().accept(annotation, note)


def reject(annotation: dict | str, note: str | None = None) -> dict:
    return client().reject(annotation, note)


def reply(annotation: dict | str, text: str, visibility: str | None = None) -> dict:
    return client().reply(annotation, text, visibility)
