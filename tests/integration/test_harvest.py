"""Harvesting in, through the real hub: the administrator's `echoes harvest` brings a
real OAI-PMH provider's records (pyoai's, over synthetic test records) into the hub's
harvest folder; the hub's twins service serves them within seconds; a person interprets a
harvested object in public; the source changes the record, and after the next harvest
the twin shows the change under the same IRI with the interpretation still on it.

The module's own hub: the harvested collection must not show in the shared hub's twins.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import requests

from tests.hubclient import ECHOES, wait_for
from tests.integration.annotations_support import new_person
from tests.integration.test_twins_answers import interpretation_of, made
from tests.integration.test_twins_interpretations import depicts
from tests.oai_provider import Provider, museum_records

pytestmark = pytest.mark.slow

PATH = "museum/oai:museum.example:4"
OBJECT = f"urn:echoes:object:{PATH}"


def harvest(hub, *args: str) -> str:
    done = subprocess.run(
        [ECHOES, "harvest", "--state", str(hub.state_dir), *args],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def title(twins: str) -> str | None:
    reply = requests.get(f"{twins}objects/{PATH}?format=json-ld", timeout=10)
    return reply.json()["_label"] if reply.status_code == 200 else None


def test_a_harvested_object_is_a_twin_and_its_interpretations_survive_a_reharvest(
    hub, admin, twins
):
    records = museum_records()
    with Provider(records, batch_size=4) as provider:
        harvest(
            hub,
            "add",
            "museum",
            "--url",
            provider.url,
            "--title",
            "A small museum (synthetic test records)",
            "--licence",
            "CC0-1.0",
            "--citation",
            "Synthetic test records of a small museum.",
        )
        said = harvest(hub, "run")
        assert "museum: 10 records" in said
        wait_for(lambda: title(twins) == "Tetradrachm of Alexander the Great", 60, "the twin")
        page = requests.get(f"{twins}objects/{PATH}", headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and "Mint of Amphipolis" in page.text

        _, ada = new_person(hub, admin, "harvest")
        subject = "urn:echoes:test:alexander-harvest"
        annotation = made(ada, hub, depicts(OBJECT, subject, "Alexander", visibility="public"))
        wait_for(lambda: interpretation_of(twins, annotation, PATH), 60, "the interpretation")

        # The source corrects the record; the next harvest brings only that.
        records[3] = replace(
            records[3],
            datestamp=datetime.now(UTC).replace(microsecond=0),
            dc={**records[3].dc, "title": ["Tetradrachm of Alexander III"]},
        )
        provider.records = records
        said = harvest(hub, "run")
        assert "museum: 1 records" in said and "1 changed" in said
        wait_for(lambda: title(twins) == "Tetradrachm of Alexander III", 60, "the corrected twin")
        kept = interpretation_of(twins, annotation, PATH)
        assert kept is not None and kept["claims"][0]["value"]["id"] == subject
        # The same object in the graph, with its source record's provenance.
        query = (
            "ASK { GRAPH <urn:echoes:graph:provenance> { ?r "
            "<http://purl.org/dc/terms/identifier> 'oai:museum.example:4' } }"
        )
        asked = requests.get(f"{twins}sparql", params={"query": query}, timeout=10).json()
        assert asked["boolean"] is True
