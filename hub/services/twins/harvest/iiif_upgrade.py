"""IIIF Presentation 2 upgraded to Presentation 3, so that one reader (iiif.py) reads both.

What the harvest reads is upgraded, the rest dropped: `label`, `description` (`summary`),
`metadata`, `attribution` (`requiredStatement`), `license` (`rights`), `logo` (on a
`provider` Agent), `related` (`homepage`), `seeAlso`, `within` (`partOf`), `thumbnail`,
`navDate`, `viewingDirection` and `viewingHint` (`behavior`), and the first sequence's
canvases with their images (`items`: Canvas, AnnotationPage, painting Annotation, its
body and Image API service, ``ImageService2``). Strings become language maps, ``none``
when the source names no language. An id Presentation 3 requires that 2 left out (an
annotation page, an annotation without ``@id``) is made from its canvas's, the same on
every harvest. Collections (``manifests``, ``collections``, ``members``) become ``items``
of references. No I/O here; nothing of the source's is guessed, only moved.
"""

from __future__ import annotations

from typing import Any

CONTEXT_3 = "http://iiif.io/api/presentation/3/context.json"
#: Presentation 2's types (with or without their prefix) as Presentation 3 names them.
TYPES = {
    "sc:Manifest": "Manifest",
    "sc:Collection": "Collection",
    "sc:Canvas": "Canvas",
    "sc:AnnotationList": "AnnotationPage",
    "oa:Annotation": "Annotation",
    "dctypes:Image": "Image",
    "dctypes:Sound": "Sound",
    "dctypes:Text": "Text",
    "dctypes:Dataset": "Dataset",
    "oa:Choice": "Choice",
}
#: Image API services by their context (a Presentation 2 service names its version so).
IMAGE_CONTEXTS = {
    "http://iiif.io/api/image/1/context.json": "ImageService1",
    "http://iiif.io/api/image/2/context.json": "ImageService2",
    "http://library.stanford.edu/iiif/image-api/1.1/context.json": "ImageService1",
    "http://library.stanford.edu/iiif/image-api/context.json": "ImageService1",
}
BEHAVIORS = {"paged", "continuous", "individuals", "facing-pages", "non-paged", "top"}


def is_v2(document: dict[str, Any]) -> bool:
    """Whether ``document`` is Presentation 2 (``@id``, ``@type`` ``sc:...``)."""
    context = document.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if any(isinstance(c, str) and "/presentation/2/" in c for c in contexts):
        return True
    return "@id" in document and "id" not in document


def kind(node: dict[str, Any]) -> str:
    """The Presentation 3 type of a Presentation 2 (or 3) node."""
    found = node.get("type") or node.get("@type") or ""
    if isinstance(found, list):
        found = found[0] if found else ""
    return TYPES.get(found, str(found).rpartition(":")[2])


def ident(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, dict):
        return str(node.get("id") or node.get("@id") or "")
    return ""


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def language_map(value: Any) -> dict[str, list[str]]:
    """A Presentation 2 value (a string, a ``{"@value", "@language"}``, a list of them) as
    a Presentation 3 language map; a language map stays as it is."""
    if isinstance(value, dict) and "@value" not in value and "@language" not in value:
        return {str(k): [str(v) for v in as_list(vs)] for k, vs in value.items()}
    found: dict[str, list[str]] = {}
    for item in as_list(value):
        if isinstance(item, dict):
            text, language = item.get("@value"), item.get("@language") or "none"
        else:
            text, language = item, "none"
        if text is not None and str(text) != "":
            found.setdefault(str(language), []).append(str(text))
    return found


def references(value: Any, default_type: str, label: Any = None) -> list[dict[str, Any]]:
    """Links (``related``, ``seeAlso``, ``within``, ``thumbnail``) as Presentation 3's
    objects with an id and a type (and the label, format and profile they had)."""
    found = []
    for item in as_list(value):
        node = item if isinstance(item, dict) else {}
        identifier = ident(item)
        if not identifier:
            continue
        reference: dict[str, Any] = {"id": identifier, "type": default_type}
        if node.get("@type") or node.get("type"):
            upgraded = kind(node)
            if upgraded in TYPES.values() and upgraded not in ("Annotation", "Choice"):
                reference["type"] = upgraded
        given = node.get("label", label)
        if given is not None and language_map(given):
            reference["label"] = language_map(given)
        for name in ("format", "profile"):
            if isinstance(node.get(name), str):
                reference[name] = node[name]
        if isinstance(node.get("service"), (dict, list)):
            reference["service"] = [service(s) for s in as_list(node["service"])]
        found.append(reference)
    return found


def service(node: Any) -> dict[str, Any]:
    """A service: an Image API one of Presentation 2 as ``ImageService1`` or ``2``, with
    its compliance level as its profile; another with its id, type and profile."""
    if not isinstance(node, dict):
        return {"id": str(node), "type": "Service"}
    if "type" in node and "id" in node:
        return node  # Presentation 3 already
    context = node.get("@context", "")
    contexts = context if isinstance(context, list) else [context]
    found: dict[str, Any] = {"id": ident(node)}
    versions = [IMAGE_CONTEXTS[c] for c in contexts if isinstance(c, str) and c in IMAGE_CONTEXTS]
    profiles = as_list(node.get("profile"))
    if versions:
        found["type"] = versions[0]
        level = next(
            (p for p in profiles if isinstance(p, str) and "level" in p.rpartition("/")[2]), ""
        )
        if level:
            found["profile"] = "level" + level.rpartition("level")[2][:1]
    else:
        found["type"] = str(node.get("@type") or "Service")
        if profiles and isinstance(profiles[0], str):
            found["profile"] = profiles[0]
    for name in ("width", "height"):
        if isinstance(node.get(name), int):
            found[name] = node[name]
    return found


def body(resource: dict[str, Any]) -> dict[str, Any]:
    """An image annotation's ``resource`` as its body (a Choice of its default and items)."""
    if kind(resource) == "Choice":
        options = [resource.get("default"), *as_list(resource.get("item"))]
        return {
            "type": "Choice",
            "items": [body(o) for o in options if isinstance(o, dict)],
        }
    found: dict[str, Any] = {"id": ident(resource), "type": kind(resource) or "Image"}
    for name in ("format", "width", "height"):
        if name in resource:
            found[name] = resource[name]
    if resource.get("label") is not None:
        found["label"] = language_map(resource["label"])
    if resource.get("service") is not None:
        found["service"] = [service(s) for s in as_list(resource["service"])]
    return found


def canvas(node: dict[str, Any]) -> dict[str, Any]:
    """A Presentation 2 canvas: its images as a painting annotation page, its
    ``otherContent`` as its annotations (references)."""
    me = ident(node)
    annotations = []
    for number, image in enumerate(as_list(node.get("images")), start=1):
        if not isinstance(image, dict) or not isinstance(image.get("resource"), dict):
            continue
        annotations.append(
            {
                "id": ident(image) or f"{me}/annotation/{number}",
                "type": "Annotation",
                "motivation": "painting",
                "body": body(image["resource"]),
                "target": ident(image.get("on")) or me,
            }
        )
    found: dict[str, Any] = {"id": me, "type": "Canvas"}
    if node.get("label") is not None:
        found["label"] = language_map(node["label"])
    for name in ("width", "height"):
        if isinstance(node.get(name), int):
            found[name] = node[name]
    if node.get("thumbnail") is not None:
        found["thumbnail"] = references(node["thumbnail"], "Image")
    found["items"] = [{"id": f"{me}/page/1", "type": "AnnotationPage", "items": annotations}]
    other = references(node.get("otherContent"), "AnnotationPage")
    if other:
        found["annotations"] = [{"id": o["id"], "type": "AnnotationPage"} for o in other]
    return found


def descriptive(node: dict[str, Any], found: dict[str, Any]) -> None:
    """The descriptive and linking properties of a manifest or collection, into ``found``."""
    label = node.get("label")
    if label is not None:
        found["label"] = language_map(label)
    if node.get("description") is not None and language_map(node["description"]):
        found["summary"] = language_map(node["description"])
    metadata = [
        {"label": language_map(pair.get("label")), "value": language_map(pair.get("value"))}
        for pair in as_list(node.get("metadata"))
        if isinstance(pair, dict) and language_map(pair.get("label"))
    ]
    if metadata:
        found["metadata"] = metadata
    if node.get("attribution") is not None and language_map(node["attribution"]):
        found["requiredStatement"] = {
            "label": {"en": ["Attribution"]},
            "value": language_map(node["attribution"]),
        }
    licences = [ident(x) for x in as_list(node.get("license")) if ident(x)]
    if licences:
        found["rights"] = licences[0]
        if len(licences) > 1:  # Presentation 3 has room for one
            found.setdefault("metadata", []).append(
                {"label": {"en": ["License"]}, "value": {"none": licences[1:]}}
            )
    logos = references(node.get("logo"), "Image")
    if logos:
        who = found.get("requiredStatement", {}).get("value") or {"none": ["Provider"]}
        found["provider"] = [
            {
                "id": f"{ident(node)}#provider",
                "type": "Agent",
                "label": who,
                "logo": [{k: v for k, v in logo.items() if k != "label"} for logo in logos],
            }
        ]
    homepage = references(node.get("related"), "Text", label=node.get("label"))
    if homepage:
        found["homepage"] = homepage
    for old, new, default in (
        ("seeAlso", "seeAlso", "Dataset"),
        ("within", "partOf", "Collection"),
        ("thumbnail", "thumbnail", "Image"),
        ("rendering", "rendering", "Text"),
    ):
        linked = references(node.get(old), default)
        if linked:
            found[new] = linked
    for name in ("navDate", "viewingDirection"):
        if isinstance(node.get(name), str):
            found[name] = node[name]
    hints = [h for h in as_list(node.get("viewingHint")) if h in BEHAVIORS]
    if hints:
        found["behavior"] = hints


def member(node: Any) -> dict[str, Any]:
    """A collection's reference to a manifest or a collection."""
    found = {"id": ident(node), "type": kind(node) if isinstance(node, dict) else ""}
    if isinstance(node, dict) and node.get("label") is not None:
        found["label"] = language_map(node["label"])
    return found


def upgrade(document: dict[str, Any]) -> dict[str, Any]:
    """A Presentation 2 manifest or collection as Presentation 3 (a 3 one as it is)."""
    if not is_v2(document):
        return document
    found: dict[str, Any] = {"@context": CONTEXT_3, "id": ident(document), "type": kind(document)}
    descriptive(document, found)
    if found["type"] == "Collection":
        members = [
            *as_list(document.get("collections")),
            *as_list(document.get("manifests")),
            *as_list(document.get("members")),
        ]
        found["items"] = [member(m) for m in members if ident(m)]
        found["items"] = [m for m in found["items"] if m["type"] in ("Manifest", "Collection")]
        return found
    sequences = [s for s in as_list(document.get("sequences")) if isinstance(s, dict)]
    canvases = as_list(sequences[0].get("canvases")) if sequences else []
    found["items"] = [canvas(c) for c in canvases if isinstance(c, dict) and ident(c)]
    return found
