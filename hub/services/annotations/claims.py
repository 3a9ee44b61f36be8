"""Claims: what an annotation asserts about its target as structured data, not only text.

A claim is a body that names, in ``rdf:predicate``, one of the relations of `CLAIMS`,
with its value as the body's ``id`` (an IRI, with an optional ``label``) or, for a date,
its ``value`` (years, ISO 8601 style, negative before the common era)::

    {"rdf:predicate": "depicts", "id": "http://vocab.getty.edu/aat/300...", "label": "Athena"}
    {"rdf:predicate": "produced_at", "id": "urn:echoes:place:kiln/1", "label": "kiln 1"}
    {"type": "TextualBody", "rdf:predicate": "dated", "value": "-0350/-0300"}

``label`` (rdfs:label) is a term of the W3C annotation context and ``rdf:`` a prefix it
defines, so the document stays plain Web Annotation JSON-LD. Each relation is a path of
CIDOC-CRM (the twins service writes it so, hub/services/twins/interpretations.py). This
module is the one list of them: the annotation service refuses a claim outside it (400
naming the body), the twins service turns each into triples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import ValidationError

PREDICATE = "rdf:predicate"
LABEL = "label"
CRM = "http://www.cidoc-crm.org/cidoc-crm/"
PRODUCTION = "P108i_was_produced_by"
#: A date claim's value: a year, or two years as an interval (``-0350/-0300``).
YEARS = re.compile(r"^(-?\d{1,4})(?:/(-?\d{1,4}))?$")


@dataclass(frozen=True)
class Relation:
    """One relation a claim may name: its CIDOC-CRM path from the object, in words."""

    name: str
    path: tuple[str, ...]  # CRM properties from the object to the value
    words: str  # how a page says it ("depicts")
    value: str  # "iri" or "years"


CLAIMS = {
    r.name: r
    for r in (
        Relation("depicts", ("P62_depicts",), "depicts", "iri"),
        Relation("classified_as", ("P2_has_type",), "is of type", "iri"),
        Relation("produced_at", (PRODUCTION, "P7_took_place_at"), "was made at", "iri"),
        Relation("produced_by", (PRODUCTION, "P14_carried_out_by"), "was made by", "iri"),
        Relation("dated", (PRODUCTION, "P4_has_time-span"), "was made in", "years"),
        Relation("material", ("P45_consists_of",), "is made of", "iri"),
    )
}


@dataclass(frozen=True)
class Claim:
    relation: Relation
    value: str  # an IRI, or the years as given
    label: str

    @property
    def years(self) -> tuple[int, int]:
        """A date claim's first and last year."""
        found = YEARS.match(self.value)
        assert found is not None  # checked by `claim_of`
        first = int(found.group(1))
        return first, int(found.group(2) or first)


def is_claim(body: Any) -> bool:
    return isinstance(body, dict) and PREDICATE in body


def claim_of(body: dict, where: str) -> Claim:
    """The claim ``body`` makes; ValidationError (naming ``where``) when it is not one."""
    name = body.get(PREDICATE)
    relation = CLAIMS.get(name) if isinstance(name, str) else None
    if relation is None:
        raise ValidationError(f"{PREDICATE} is one of {', '.join(CLAIMS)}", f"{where}.{PREDICATE}")
    label = body.get(LABEL, "")
    if not isinstance(label, str):
        raise ValidationError(f"{LABEL} must be a string", f"{where}.{LABEL}")
    if relation.value == "years":
        value = body.get("value")
        found = YEARS.match(value) if isinstance(value, str) else None
        if found is None or int(found.group(2) or found.group(1)) < int(found.group(1)):
            raise ValidationError(
                "a date claim's value is a year or first/last years, e.g. -0350/-0300",
                f"{where}.value",
            )
        return Claim(relation, value, label or value)
    value = body.get("id")
    if not isinstance(value, str) or ":" not in value:
        raise ValidationError(f"a {name} claim names its value as an IRI in id", f"{where}.id")
    return Claim(relation, value, label or value)


def claims_of(bodies: list[Any]) -> list[Claim]:
    """Every claim among an annotation's ``bodies`` (a list as the document gave it)."""
    return [
        claim_of(body, f"body[{i}]" if len(bodies) > 1 else "body")
        for i, body in enumerate(bodies)
        if is_claim(body)
    ]
