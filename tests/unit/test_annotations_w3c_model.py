"""What the service writes meets the W3C Web Annotation Data Model's requirements.

The W3C test suite checks the Data Model with JSON schemas (web-platform-tests
annotation-model/); no package on PyPI or npm ships them, so each requirement is written
again here from the Recommendation (https://www.w3.org/TR/annotation-model/, the section
in each name) as a small JSON Schema, and every document the service serves is validated
against those that apply: annotations of every kind of target and body, collections,
pages, exports and an empty container.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from tests.annotation_cases import POTTERY, note
from tests.unit.test_annotations_handlers import Service, container, send

ANNO = "http://www.w3.org/ns/anno.jsonld"
IRI = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$"}
_CONTEXT = {
    "anyOf": [{"const": ANNO}, {"type": "array", "contains": {"const": ANNO}}],
}


def _has_type(name: str) -> dict:
    return {"anyOf": [{"const": name}, {"type": "array", "contains": {"const": name}}]}


def _each(schema: dict) -> dict:
    """``schema`` for a value that is one item or a list of them."""
    return {"anyOf": [schema, {"type": "array", "minItems": 1, "items": schema}]}


_DATETIME = {"type": "string", "format": "date-time", "pattern": r"(Z|[+-]\d\d:\d\d)$"}

#: requirement -> (the kind of document it applies to, the JSON Schema that checks it)
REQUIREMENTS: dict[str, tuple[str, dict]] = {
    "3.1 an Annotation MUST have the anno.jsonld @context": (
        "annotation",
        {"required": ["@context"], "properties": {"@context": _CONTEXT}},
    ),
    "3.1 an Annotation MUST have exactly one IRI, id": (
        "annotation",
        {"required": ["id"], "properties": {"id": IRI}},
    ),
    "3.1 an Annotation MUST have a type, including Annotation": (
        "annotation",
        {"required": ["type"], "properties": {"type": _has_type("Annotation")}},
    ),
    "3.1 an Annotation MUST have one or more targets": (
        "annotation",
        {"required": ["target"], "properties": {"target": _each({"type": ["string", "object"]})}},
    ),
    "3.2 bodies and targets given by IRI are IRIs": (
        "annotation",
        {
            "properties": {
                "body": _each({"if": {"type": "string"}, "then": IRI}),
                "target": _each({"if": {"type": "string"}, "then": IRI}),
            }
        },
    ),
    "3.2.4 a TextualBody MUST have exactly one value, a string": (
        "annotation",
        {
            "properties": {
                "body": _each(
                    {
                        "if": {"type": "object", "properties": {"type": {"const": "TextualBody"}}},
                        "then": {
                            "required": ["value"],
                            "properties": {"value": {"type": "string"}},
                        },
                    }
                )
            }
        },
    ),
    "3.3.3 created, modified and generated are xsd:dateTime with a timezone": (
        "annotation",
        {"properties": {k: _DATETIME for k in ("created", "modified", "generated")}},
    ),
    "3.3.1 a creator is an IRI or an Agent (Person, Organization, Software)": (
        "annotation",
        {
            "properties": {
                "creator": _each(
                    {
                        "anyOf": [
                            IRI,
                            {
                                "type": "object",
                                "properties": {
                                    "type": {"enum": ["Person", "Organization", "Software"]}
                                },
                            },
                        ]
                    }
                )
            }
        },
    ),
    "4 a SpecificResource MUST have exactly one source": (
        "annotation",
        {
            "properties": {
                "target": _each(
                    {
                        "if": {"type": "object", "required": ["selector"]},
                        "then": {"required": ["source"], "properties": {"source": IRI}},
                    }
                )
            }
        },
    ),
    "4.2.1 a FragmentSelector MUST have exactly one value": (
        "annotation",
        {
            "properties": {
                "target": _each(
                    {
                        "if": {
                            "type": "object",
                            "properties": {
                                "selector": {
                                    "type": "object",
                                    "properties": {"type": {"const": "FragmentSelector"}},
                                }
                            },
                            "required": ["selector"],
                        },
                        "then": {
                            "properties": {
                                "selector": {
                                    "required": ["value"],
                                    "properties": {"value": {"type": "string"}},
                                }
                            }
                        },
                    }
                )
            }
        },
    ),
    "5.1 an AnnotationCollection MUST have exactly one IRI, id": (
        "collection",
        {"required": ["id"], "properties": {"id": IRI}},
    ),
    "5.1 an AnnotationCollection MUST have a type, including AnnotationCollection": (
        "collection",
        {"required": ["type"], "properties": {"type": _has_type("AnnotationCollection")}},
    ),
    "5.1 an AnnotationCollection has the anno.jsonld @context": (
        "collection",
        {"required": ["@context"], "properties": {"@context": _CONTEXT}},
    ),
    "5.1 total is a non-negative integer": (
        "collection",
        {"properties": {"total": {"type": "integer", "minimum": 0}}},
    ),
    "5.1 first and last are a page or its IRI": (
        "collection",
        {"properties": {"first": {"type": ["string", "object"]}, "last": IRI}},
    ),
    "5.2 an AnnotationPage MUST have exactly one IRI, id": (
        "page",
        {"required": ["id"], "properties": {"id": IRI}},
    ),
    "5.2 an AnnotationPage MUST have a type, including AnnotationPage": (
        "page",
        {"required": ["type"], "properties": {"type": _has_type("AnnotationPage")}},
    ),
    "5.2 an AnnotationPage MUST have items, a list": (
        "page",
        {"required": ["items"], "properties": {"items": {"type": "array"}}},
    ),
    "5.2 partOf is the collection (its IRI or description)": (
        "page",
        {"properties": {"partOf": {"anyOf": [IRI, {"type": "object", "required": ["id"]}]}}},
    ),
    "5.2 next and prev are IRIs, startIndex a non-negative integer": (
        "page",
        {
            "properties": {
                "next": IRI,
                "prev": IRI,
                "startIndex": {"type": "integer", "minimum": 0},
            }
        },
    ),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[dict[str, list[dict]]]:
    """Every kind of document the service serves, by kind: annotation, collection, page."""
    service = Service(f"sqlite:///{tmp_path_factory.mktemp('model')}/annotations.sqlite")
    try:
        alice = service.session("alice")
        url = container(service, alice, "model")
        empty = container(service, alice, "empty")
        documents = [
            note(),
            note("a catalog item", target=POTTERY, motivation="describing"),
            note("an IRI body", body="https://example.org/notes/1", motivation="linking"),
            note(
                "tags",
                motivation="tagging",
                body=[
                    {"type": "TextualBody", "value": "rim", "purpose": "tagging"},
                    {"type": "TextualBody", "value": "<b>bold</b>", "format": "text/html"},
                ],
            ),
            note(
                "a quote",
                target={
                    "source": "https://example.org/report",
                    "selector": {"type": "TextQuoteSelector", "exact": "kiln"},
                },
            ),
            note(
                "by an agent",
                creator={"type": "Software", "name": "segmenter", "version": "1"},
                confidence=0.8,
            ),
        ]
        annotations = []
        for document in documents:
            created = send(alice, "POST", url, document)
            assert created.status_code == 201, created.text
            annotations.append(created.json())
            annotations.append(alice.get(created.headers["Location"]).json())
        collection = alice.get(url).json()
        exported = alice.get(f"{url}export").json()
        found = {
            "annotation": annotations,
            "collection": [
                collection,
                exported,
                alice.get(empty).json(),
                alice.get(f"{service.url}export").json(),
            ],
            "page": [
                collection["first"],
                exported["first"],
                alice.get(f"{url}?page=0").json(),
                alice.get(f"{url}?page=0&iris=1").json(),
                alice.get(f"{service.url}search?q=kiln").json(),
            ],
        }
        for page in found["page"]:
            found["annotation"] += [a for a in page["items"] if isinstance(a, dict)]
        yield found
    finally:
        service.stop()


@pytest.mark.parametrize("requirement", REQUIREMENTS)
def test_every_document_served_meets_the_data_model(served, requirement):
    kind, schema = REQUIREMENTS[requirement]
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = [
        f"{document.get('id')}: {error.message}"
        for document in served[kind]
        for error in validator.iter_errors(document)
    ]
    assert not errors, errors


def test_how_many_requirements_and_documents(served, capsys):
    checked = sum(len(served[kind]) for kind, _ in REQUIREMENTS.values())
    with capsys.disabled():
        print(
            f"\nW3C annotation model: {len(REQUIREMENTS)} requirements, {checked} document checks"
        )
    assert len(served["annotation"]) > 12 and len(served["page"]) == 5
