"""What an RDF reader sees in a stored annotation is what the server vouches for.

Keys are JSON-LD under the W3C annotation context: keywords, compact or full IRIs of
terms and ``as:attributedTo`` would add statements beside the server-managed ones (a
second creator). Each is refused with a 400 naming the key; the test checks, with a
real JSON-LD processor (pyld) over the shipped context, that every accepted document
expands to exactly the server's creator. HTML bodies pass through nh3's allow-list.
"""

from __future__ import annotations

import copy
import json

import pytest
from pyld import jsonld

from echoes_hub.services.annotations.errors import ValidationError
from echoes_hub.services.annotations.model import ANNO_CONTEXT, CONTEXT, parse_annotation
from echoes_hub.services.annotations.permissions import Viewer
from echoes_hub.services.annotations.service import Annotations
from echoes_hub.services.annotations.store import Store

DCTERMS_CREATOR = "http://purl.org/dc/terms/creator"
SMUGGLED = "urn:echoes:user:mallory"


def annotation(**extra) -> dict:
    return {
        "@context": ANNO_CONTEXT,
        "type": "Annotation",
        "body": {"type": "TextualBody", "value": "a note"},
        "target": "urn:echoes:catalog:heritage/archaeometry/pottery",
        **extra,
    }


def _local_context(url: str, options: dict | None = None) -> dict:
    # The context is never fetched: pyld gets the copy the service ships.
    assert url.rstrip("/") == ANNO_CONTEXT, url
    return {"contextUrl": None, "documentUrl": url, "document": {"@context": CONTEXT}}


def creators_in_rdf(document: dict) -> list:
    """Every dcterms:creator a JSON-LD processor reads about the annotation."""
    expanded = jsonld.expand(
        {**document, "id": "http://hub.example/a/1"}, {"documentLoader": _local_context}
    )
    found = []
    for node in jsonld.flatten(expanded, None, {"documentLoader": _local_context}):
        if node.get("@id") == "http://hub.example/a/1":
            found += node.get(DCTERMS_CREATOR, [])
    return found


SMUGGLING = [
    ("@id", {"@id": "http://hub.example/a/2"}),
    ("@graph", {"@graph": [{"id": "http://hub.example/a/1", "creator": SMUGGLED}]}),
    ("@reverse", {"@reverse": {"creator": SMUGGLED}}),
    ("@type", {"@type": "Annotation"}),
    ("@included", {"@included": [{"id": "http://hub.example/a/1", "creator": SMUGGLED}]}),
    ("dcterms:creator", {"dcterms:creator": SMUGGLED}),
    (DCTERMS_CREATOR, {DCTERMS_CREATOR: SMUGGLED}),
    ("dcterms:issued", {"dcterms:issued": "1999-01-01T00:00:00Z"}),
    ("as:generator", {"as:generator": SMUGGLED}),
    ("as:attributedTo", {"as:attributedTo": SMUGGLED}),
    ("oa:hasTarget", {"oa:hasTarget": "javascript:alert(1)"}),
    ("body.@context", {"body": {"@context": {"value": DCTERMS_CREATOR}, "value": "x"}}),
    ("body.@reverse", {"body": {"value": "x", "@reverse": {"oa:hasBody": SMUGGLED}}}),
]


@pytest.mark.parametrize("key, extra", SMUGGLING, ids=[s[0] for s in SMUGGLING])
def test_keywords_and_iri_spellings_of_terms_are_refused_naming_the_key(key, extra):
    document = annotation(**extra)
    with pytest.raises(ValidationError) as caught:
        parse_annotation(copy.deepcopy(document))
    assert caught.value.field == key
    assert key.split(".")[-1] in caught.value.message


def test_what_the_refused_keys_would_do_to_an_rdf_reader():
    """Without the check the reader would see a second creator (the finding)."""
    document = annotation(**{DCTERMS_CREATOR: SMUGGLED}, creator="urn:echoes:user:alice")
    assert len(creators_in_rdf(document)) == 2


def test_an_accepted_annotation_has_exactly_the_servers_creator(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'a.sqlite'}")
    store.create_schema()
    store.ensure_container("default", "echoes")
    service = Annotations(store, "http://hub.example/services/annotations/")
    alice = Viewer("alice")
    record = service.create(
        alice,
        "default",
        annotation(
            body={"type": "TextualBody", "value": "x", "creator": "urn:echoes:user:bob"},
            **{"dc:creator": "someone", "visibility": "public"},
        ),
    )
    stored = service.render(record)
    assert creators_in_rdf(json.loads(json.dumps(stored))) == [{"@id": "urn:echoes:user:alice"}]

    # A replacement cannot describe the annotation itself from inside, either.
    with pytest.raises(ValidationError) as caught:
        service.replace(
            alice,
            "default",
            record.uid,
            annotation(target={"id": service.iri(record), "creator": SMUGGLED}),
            service.etag(record),
        )
    assert caught.value.field == "target.id"
    store.close()


def test_imports_keep_the_original_creator_in_as_attributed_to_only_at_the_top():
    parse_annotation(annotation(**{"as:attributedTo": SMUGGLED}), imported=True)
    with pytest.raises(ValidationError):
        parse_annotation(annotation(**{"dcterms:creator": SMUGGLED}), imported=True)


@pytest.mark.parametrize(
    "html, kept, gone",
    [
        ('<a href="javascript&colon;alert(1)">x</a>', "<a", "javascript"),
        ('<a href="jav&#x09;ascript:alert(1)">x</a>', "<a", "ascript"),
        ("<script>alert(1)</script><b>bold</b>", "<b>bold</b>", "script"),
        ('<img src=x onerror="alert(1)">', "<img", "onerror"),
        ('<p style="background:url(javascript:x)">p</p>', "<p>p</p>", "style"),
        ('<a href="data:text/html,<script>x</script>">d</a>', "<a", "data:"),
        ("<iframe src=https://evil.example/></iframe>ok", "ok", "iframe"),
    ],
)
def test_html_bodies_keep_only_allow_listed_markup(html, kept, gone):
    body = {"type": "TextualBody", "value": html, "format": "text/html"}
    parsed = parse_annotation(annotation(body=body))
    value = parsed.doc["body"]["value"]
    assert kept in value and gone not in value, value
