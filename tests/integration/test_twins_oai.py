"""The twins service's OAI-PMH provider through the real hub, proxy and annotation
service, harvested anonymously by sickle (a harvester we did not write): a public
interpretation is harvested with who made it and what it is about, incrementally from
the moment before it was made; a private one never is, in any format or set; one made
private again is no longer listed. The twins themselves are harvested through the proxy
too, and their EDM points at pages and images the hub serves.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch

from tests.hubclient import wait_for
from tests.integration.annotations_support import MEDIA_TYPE, new_person
from tests.integration.test_twins_answers import interpretation_of, made
from tests.integration.test_twins_interpretations import depicts

pytestmark = [pytest.mark.slow, pytest.mark.shared_hub]

# Coin 11 and a subject of this module's own: other modules on the shared hub count the
# interpretations of coins 5 and 7.
PATH = "coins/11"
COIN = f"urn:echoes:object:{PATH}"
SUBJECT = "urn:echoes:test:oai-harvest"


def harvested(twins: str, **arguments: str) -> dict[str, object]:
    """Every record of a ListRecords harvest, by identifier (none: noRecordsMatch)."""
    try:
        records = Sickle(twins + "oai").ListRecords(**arguments)
        return {r.header.identifier: r for r in records}
    except NoRecordsMatch:
        return {}


def test_public_interpretations_are_harvested_and_private_ones_never_are(hub, admin, twins):
    _, ada = new_person(hub, admin, "oaa")
    _, bob = new_person(hub, admin, "oab")
    before = (datetime.now(UTC) - timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    public_words = f"Owl {uuid.uuid4().hex[:6]}"
    private_words = f"Secret {uuid.uuid4().hex[:6]}"
    public = made(ada, hub, depicts(COIN, SUBJECT, public_words, visibility="public"))
    private = made(bob, hub, depicts(COIN, SUBJECT, private_words))
    wait_for(lambda: interpretation_of(twins, public, PATH), 60, "the public interpretation")

    since = harvested(twins, metadataPrefix="oai_dc", set="interpretations", **{"from": before})
    assert public in since and private not in since
    record = since[public]
    assert record.header.setSpecs == ["interpretations"]
    assert record.metadata["title"] == [f"The head of {public_words}"]
    assert record.metadata["creator"] == [ada.name]
    assert record.metadata["relation"] == [COIN]
    assert record.metadata["type"] == ["Annotation"]
    assert any(d.startswith("Status: asserted") for d in record.metadata["description"])
    # Nowhere, in any set or format, is the private one.
    everything = [
        *harvested(twins, metadataPrefix="oai_dc").values(),
        *harvested(twins, metadataPrefix="edm", set="twins:coins").values(),
    ]
    assert not [r for r in everything if private_words in r.raw or private in r.raw]
    assert any(public_words in r.raw for r in everything)
    coin = next(r for r in everything if r.header.identifier == COIN and "edm:" in r.raw)
    page = requests.get(f"{twins}objects/{PATH}", timeout=30)
    assert page.status_code == 200 and f"{twins}objects/{PATH}" in coin.raw

    # Ada makes hers private: it is no longer listed.
    shown = ada.get(public, timeout=30)
    document = {**shown.json(), "visibility": "private"}
    changed = ada.put(
        public,
        json=document,
        headers={"Content-Type": MEDIA_TYPE, "If-Match": shown.headers["ETag"]},
        timeout=30,
    )
    assert changed.status_code == 200, changed.text
    wait_for(
        lambda: public not in harvested(twins, metadataPrefix="oai_dc", set="interpretations"),
        60,
        "the interpretation made private to leave the provider",
    )
