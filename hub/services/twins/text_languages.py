"""The languages a twin's texts are in, as Linked Art names them: Getty AAT's language
terms, as cromulent's vocabulary ships them with their ISO 639-1 codes (the same source
as the data build's AAT terms, catalogs/twins.py). A contributed sheet says the language
of its texts once; its records' names and statements carry it, and their RDF literals
the language tag."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

AAT = "http://vocab.getty.edu/aat/"


@cache
def text_languages() -> dict[str, tuple[str, str]]:
    """ISO 639-1 code -> (English name, AAT IRI), by code."""
    vocabulary = json.loads((files("cromulent") / "data" / "vocab_instances.json").read_text())
    found = {
        term["code"]: (term["label"], AAT + term["id"])
        for term in vocabulary.values()
        if term.get("parent") == "Language" and len(term.get("code") or "") == 2
    }
    return dict(sorted(found.items()))


def language_term(code: str) -> dict[str, Any]:
    """The Linked Art ``language`` of a text in ``code`` (KeyError: not a code here)."""
    label, iri = text_languages()[code]
    return {"id": iri, "type": "Language", "_label": label}


@cache
def _codes() -> dict[str, str]:
    """AAT IRI -> ISO 639-1 code."""
    return {iri: code for code, (_, iri) in text_languages().items()}


def code_of(node: dict[str, Any]) -> str:
    """The language code of a Name or statement (its first ``language``), or ""."""
    for term in node.get("language", []):
        if term.get("id") in _codes():
            return _codes()[term["id"]]
    return ""
