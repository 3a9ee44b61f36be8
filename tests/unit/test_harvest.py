"""Harvesting in (hub/services/twins/harvest/): `echoes harvest` against a real OAI-PMH
provider we did not write (pyoai's, tests/oai_provider.py, over synthetic test records)
and against our own twins service's provider, over real HTTP. A first harvest, an
incremental one with a changed, a deleted and a new record, one with nothing new; a source
that answers garbage, one that hangs and one that never ends; bad declarations. Then the
twins service serves what was harvested beside the data build: pages, SPARQL, and its own
OAI-PMH provider."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest
import requests

from echoes_data import validate
from echoes_hub.services.twins.harvest.fetch import Limits
from echoes_hub.services.twins.harvest.folder import HarvestFolder
from echoes_hub.services.twins.harvest.records import local_id
from echoes_hub.services.twins.harvest.run import harvest
from echoes_hub.services.twins.harvest.sources import BadSource, Source, read_sources, save_source
from tests import twins_data
from tests.hubclient import ECHOES, wait_for
from tests.oai_provider import Provider, Record, museum_records
from tests.unit.test_twins_oai import built  # noqa: F401 (a fixture)
from tests.unit.test_twins_service import Service, running


def museum(url: str, **more: str) -> Source:
    return Source(
        name="museum",
        url=url,
        title="A small museum (synthetic test records)",
        licence="CC0-1.0",
        citation="Synthetic test records of a small museum, made for ECHOES VRE's tests.",
        **more,
    )


def echoes(*args: str | Path, state: Path) -> subprocess.CompletedProcess:
    """`echoes harvest ARGS` for the hub whose state folder is ``state``."""
    return subprocess.run(
        [ECHOES, "harvest", "--state", str(state), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_a_first_an_incremental_and_an_idle_harvest(tmp_path):
    folder = HarvestFolder(tmp_path / "harvest")
    records = museum_records()
    with Provider(records, batch_size=3) as provider:
        source = museum(provider.url)
        first = harvest(source, folder)
        assert (first.error, first.seen, first.added) == ("", 10, 10)
        assert provider.requests >= 5  # Identify and four pages
        twins = folder.records("museum")
        local = local_id("oai:museum.example:4")
        coin = twins[local]
        assert coin["id"] == "urn:echoes:object:museum/oai:museum.example:4"
        assert coin["_label"] == "Tetradrachm of Alexander the Great"
        assert coin["produced_by"]["carried_out_by"][0]["_label"] == "Mint of Amphipolis"
        assert coin["produced_by"]["timespan"]["_label"] == "c. 325 BC"
        origin = folder.origins("museum")[local]
        assert origin.identifier == "oai:museum.example:4"
        assert origin.url.startswith(provider.url + "?verb=GetRecord")
        assert requests.get(origin.url, timeout=10).status_code == 200  # the source's own
        raw = folder.raw("museum")[local]
        assert "Tetradrachm" in raw and "oai:museum.example:4" in raw  # as the source sent it
        index = folder.index()["museum"]
        assert index["objects"] == 10 and index["licence"] == "CC0-1.0"
        assert index["source"]["url"] == provider.url
        stamp = json.loads((folder.root / "BUILD.json").read_text())["fingerprint"]

        # The source changes one record, deletes one and adds one, all after the harvest.
        later = datetime.now(UTC).replace(microsecond=0)
        time.sleep(1.1)
        records[3] = replace(
            records[3], datestamp=later, dc={**records[3].dc, "title": ["Tetradrachm, Amphipolis"]}
        )
        records[6] = replace(records[6], datestamp=later, deleted=True)
        records.append(
            Record("oai:museum.example:11", later, ["coins"], {"title": ["Solidus of Justinian"]})
        )
        provider.records = records
        last = folder.state("museum")["last"]  # the first answer's responseDate
        second = harvest(source, folder)
        assert second.asked_from == last
        assert (second.error, second.seen) == ("", 3)
        assert (second.added, second.changed, second.withdrawn) == (1, 1, 1)
        twins = folder.records("museum")
        assert len(twins) == 11  # the deleted one is kept
        assert (
            twins[local]["id"] == coin["id"] and twins[local]["_label"] == "Tetradrachm, Amphipolis"
        )
        book = twins[local_id("oai:museum.example:7")]
        assert "Withdrawn by its source" in book["referred_to_by"][-1]["content"]
        assert folder.origins("museum")[local_id("oai:museum.example:7")].withdrawn
        assert json.loads((folder.root / "BUILD.json").read_text())["fingerprint"] != stamp

        # Nothing new: nothing written, the twins service has nothing to load again.
        stamp = (folder.root / "BUILD.json").read_text()
        third = harvest(source, folder)
        assert (third.error, third.seen, third.added, third.changed) == ("", 0, 0, 0)
        assert (folder.root / "BUILD.json").read_text() == stamp
        reports = json.loads((folder.root / "state" / "museum.json").read_text())["harvests"]
        assert len(reports) == 3


@pytest.mark.parametrize(
    ("mode", "said"),
    [("garbage", "not XML"), ("hang", "no answer"), ("huge", "larger than")],
)
def test_a_source_that_misbehaves_fails_alone_and_keeps_what_was_harvested(tmp_path, mode, said):
    folder = HarvestFolder(tmp_path / "harvest")
    with Provider(museum_records()) as provider:
        source = museum(provider.url)
        assert harvest(source, folder).error == ""
        kept = folder.records("museum")
        provider.mode = mode
        started = time.monotonic()
        report = harvest(source, folder, limits=Limits(2.0, 1 << 20))
        assert said in report.error, report.error
        assert time.monotonic() - started < 20  # bounded: it cannot hold the harvest
    assert folder.records("museum") == kept
    state = json.loads((folder.root / "state" / "museum.json").read_text())
    assert state["harvests"][-1]["error"] == report.error


def test_a_dtd_in_an_answer_is_refused_before_it_is_parsed(tmp_path):
    folder = HarvestFolder(tmp_path / "harvest")
    with Provider(museum_records()) as provider:
        bomb = (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><OAI-PMH>&lol2;</OAI-PMH>'
        )
        provider.handle = lambda arguments: bomb  # what every request now gets
        report = harvest(museum(provider.url), folder, limits=Limits(timeout=5.0))
    assert "DTD" in report.error and not folder.records("museum")


def test_the_command_declares_lists_and_runs_and_names_what_is_wrong(tmp_path):
    state = tmp_path / "state"
    with Provider(museum_records(), batch_size=4) as provider:
        declared = echoes(
            "add",
            "museum",
            "--url",
            provider.url,
            "--title",
            "A small museum (synthetic test records)",
            "--licence",
            "CC0-1.0",
            "--citation",
            "Synthetic test records.",
            state=state,
        )
        assert declared.returncode == 0, declared.stderr
        assert read_sources(state / "harvest")["museum"].url == provider.url
        ran = echoes("run", state=state)
        assert ran.returncode == 0, ran.stderr
        assert "museum: 10 records" in ran.stderr and "+10 new" in ran.stderr
        listed = echoes("list", state=state)
        assert listed.stdout.startswith(f"museum\toai-pmh\t{provider.url}\tby hand\t")
        assert "never" not in listed.stdout
        # And the users' catalog of it, with each twin's page (catalog.py).
        table = pd.read_parquet(state / "harvested" / "museum.parquet")
        assert len(table) == 10 and table["page"][0].startswith(
            "http://twins--service.localhost:8000/services/twins/objects/museum/"
        )
    for args, named in [
        (["add", "Museum", "--url", "http://x.example/oai"], "name 'Museum'"),
        (["add", "m", "--url", "ftp://x.example/oai"], "url 'ftp://x.example/oai'"),
        (["add", "m", "--url", "http://x.example/oai", "--prefix", "marc"], "metadata_prefix"),
        (["add", "m", "--url", "http://x.example/oai", "--query-file", "nope.rq"], "nope.rq"),
    ]:
        refused = echoes(
            *args, "--title", "t", "--licence", "CC0-1.0", "--citation", "c", state=state
        )
        assert refused.returncode != 0 and named in refused.stderr, refused.stderr
    missing = echoes("run", "nope", state=state)
    assert missing.returncode != 0 and "no source nope" in missing.stderr
    with pytest.raises(BadSource, match="licence"):
        Source(name="m", url="http://x.example/oai", title="t", licence=" ", citation="c").check()


def test_the_twins_service_serves_harvested_twins_beside_the_build(tmp_path):
    folder = HarvestFolder(tmp_path / "harvest")
    with Provider(museum_records()) as provider:
        assert harvest(museum(provider.url), folder).error == ""
    data = twins_data.write(tmp_path / "data", "build-1", objects=5)
    with running(Service(data, tmp_path / "stores", harvest_dir=str(folder.root))) as service:
        index = requests.get(service.url, timeout=10).json()["collections"]
        assert set(index) == {"synthetic", "museum"} and index["museum"]["objects"] == 10
        page = requests.get(
            service.url + "objects/museum/oai:museum.example:5", headers={"Accept": "text/html"}
        )
        assert page.status_code == 200 and "Denarius of Hadrian" in page.text
        assert "Mint of Rome" in page.text and "A small museum" in page.text
        query = (
            "SELECT ?label WHERE { GRAPH <urn:echoes:graph:museum> { "
            "<urn:echoes:object:museum/oai:museum.example:5> "
            "<http://www.w3.org/2000/01/rdf-schema#label> ?label } }"
        )
        found = requests.get(service.url + "sparql", params={"query": query}, timeout=10).json()
        assert [b["label"]["value"] for b in found["results"]["bindings"]] == [
            "Denarius of Hadrian"
        ]
        where = (
            "SELECT ?url WHERE { GRAPH <urn:echoes:graph:provenance> { ?record "
            "<http://purl.org/dc/terms/identifier> 'oai:museum.example:5' ; "
            "<http://purl.org/dc/terms/source> ?url } }"
        )
        found = requests.get(service.url + "sparql", params={"query": where}, timeout=10).json()
        assert found["results"]["bindings"][0]["url"]["value"].startswith(provider.url)
        # And it gives them out again, through its own provider, in their own set.
        listed = requests.get(
            service.url + "oai",
            params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "twins:museum"},
            timeout=10,
        )
        assert listed.text.count("<identifier>") == 10


def test_our_own_provider_harvested_as_edm_round_trips_the_coins(tmp_path, built):  # noqa: F811
    with running(Service(built, tmp_path / "stores", oai_page_size=7)) as ours:
        source = Source(
            name="echoes-coins",
            url=ours.url + "oai",
            title="ECHOES coins, harvested back",
            licence="LicenseRef-No-Known-Copyright-Restrictions",
            citation="ECHOES VRE",
            metadata_prefix="edm",
            set="twins:coins",
        )
        folder = HarvestFolder(tmp_path / "harvest")
        report = harvest(source, folder)
    assert (report.error, report.added, report.failed) == ("", 24, [])
    twins = folder.records("echoes-coins")
    coin = twins[local_id("urn:echoes:object:coins/7")]
    assert coin["_label"] == "Greek coin 7 from Pompeii"
    assert coin["current_owner"][0]["_label"] == "Brooklyn Museum"
    [shown] = coin["representation"][0]["digitally_shown_by"][:1]
    assert shown["access_point"][0]["id"].endswith("/25,104,42,41/max/0/default.jpg")


def test_a_resumption_token_that_expires_fails_the_harvest_and_the_next_one_starts_again(
    tmp_path,
):
    folder = HarvestFolder(tmp_path / "harvest")
    with Provider(museum_records(), batch_size=3) as provider:
        answer = provider.handle

        def expiring(arguments: dict[str, str]) -> bytes:
            # As a source whose tokens expire: pyoai's own badResumptionToken answer.
            if "resumptionToken" in arguments:
                return answer({"verb": arguments["verb"], "resumptionToken": "expired"})
            return answer(arguments)

        provider.handle = expiring
        report = harvest(museum(provider.url), folder)
        assert "BadResumptionToken" in report.error and report.seen == 3
        assert not folder.records("museum") and folder.state("museum")["last"] is None
        provider.handle = answer  # the source mended: the next harvest takes everything
        again = harvest(museum(provider.url), folder)
        assert (again.error, again.asked_from, again.added) == ("", None, 10)


def test_a_source_is_due_by_its_schedule_and_harvested_once_at_a_time(tmp_path):
    from echoes_hub.services.twins.harvest.schedule import due

    folder = HarvestFolder(tmp_path / "harvest")
    sources = {
        "hourly": replace(museum("http://x.example/oai"), name="hourly", schedule="hourly"),
        "daily": replace(museum("http://x.example/oai"), name="daily", schedule="daily"),
        "by-hand": replace(museum("http://x.example/oai"), name="by-hand"),
    }
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert due(sources, folder, now) == ["hourly", "daily"]  # never harvested
    for name in sources:
        folder.save_state(
            name, {"last": None, "harvests": [{"started": "2026-12-03T10:30:00+00:00"}]}
        )
    assert due(sources, folder, now) == ["hourly"]
    with folder.harvesting("hourly") as alone:
        assert alone
        refused = harvest(sources["hourly"], folder)
        assert refused.error == "a harvest of hourly is running already"
        assert folder.state("hourly")["harvests"] == [{"started": "2026-12-03T10:30:00+00:00"}]


def test_the_sources_api_is_the_administrators_and_harvests_when_asked(tmp_path):
    harvested = tmp_path / "harvest"
    data = twins_data.write(tmp_path / "data", "build-1", objects=5)
    with Provider(museum_records(), batch_size=4) as provider:
        save_source(harvested, museum(provider.url), set())
        users = tmp_path / "harvested"
        service = Service(
            data, tmp_path / "stores", harvest_dir=str(harvested), harvested_dir=str(users)
        )
        with running(service):
            sources = f"{service.url}harvest/sources"
            ada = service.session("ada")
            for method, url in [
                ("GET", f"{service.url}harvest"),
                ("GET", sources),
                ("POST", f"{sources}/museum/harvest"),
            ]:
                refused = ada.request(method, url, timeout=10)
                assert refused.status_code == 403 and refused.json()["error"] == "NotAllowed"
            assert requests.get(sources, timeout=10).status_code == 403  # anonymous
            assert provider.requests == 0

            root = service.session("root", admin=True)
            assert root.get(sources, timeout=10).json()["sources"][0]["last"] is None
            asked = root.post(f"{sources}/museum/harvest", timeout=10)
            assert asked.status_code == 202 and asked.json()["source"] == "museum"
            unknown = root.post(f"{sources}/nope/harvest", timeout=10)
            assert unknown.status_code == 404 and "nope" in unknown.json()["message"]

            def last() -> dict:
                return root.get(sources, timeout=10).json()["sources"][0]["last"] or {}

            wait_for(lambda: last().get("finished"), 60, "the harvest asked for")
            assert (last()["added"], last()["error"]) == (10, "")
            page = root.get(f"{service.url}harvest", headers={"Accept": "text/html"}, timeout=10)
            assert page.status_code == 200 and 'id="museum"' in page.text
            assert "Harvest now" in page.text
        # The service's harvest wrote the users' catalog too, with its own pages.
        validate.require(users / "catalog.yaml", checksums=True)
        table = pd.read_parquet(users / "museum.parquet")
        assert len(table) == 10 and table["page"][0].startswith(f"{service.url}objects/museum/")


def test_a_file_of_declarations_declares_them_all_or_names_the_file_and_line(tmp_path):
    state = tmp_path / "state"
    good = tmp_path / "sources.yaml"
    good.write_text(
        "sources:\n"
        "  museum:\n"
        "    url: https://museum.example/oai\n"
        "    title: A museum's paintings\n"
        "    licence: CC0-1.0\n"
        "    citation: The museum (2026)\n"
        "    metadata_prefix: edm\n"
        "    schedule: daily\n"
        "  graph:\n"
        "    protocol: sparql\n"
        "    url: https://graph.example/sparql\n"
        "    title: A graph\n"
        "    licence: CC-BY-4.0\n"
        "    citation: The graph (2026)\n"
        "    query: |\n"
        "      CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }\n",
        encoding="utf-8",
    )
    done = echoes("import", str(good), state=state)
    assert done.returncode == 0 and "2 sources declared" in done.stdout, done.stderr
    declared = read_sources(state / "harvest")
    assert declared["museum"].schedule == "daily" and declared["museum"].metadata_prefix == "edm"
    assert declared["graph"].query.startswith("CONSTRUCT")
    for text, line, says in [
        (
            "sources:\n  m:\n    url: http://x.example/oai\n    colour: red\n",
            4,
            "no field 'colour'",
        ),
        ("sources:\n  m:\n    url: http://x.example/oai\n    title: t\n", 3, "licence: say it"),
        (
            "sources:\n  Museum:\n    url: http://x.example/oai\n    title: t\n"
            "    licence: CC0-1.0\n    citation: c\n",
            2,
            "name 'Museum'",
        ),
        ("sources:\n  m: [1, 2\n", 3, "not valid YAML"),
    ]:
        bad = tmp_path / "bad.yaml"
        bad.write_text(text, encoding="utf-8")
        refused = echoes("import", str(bad), state=state)
        assert refused.returncode != 0, text
        assert f"{bad}, line {line}: " in refused.stderr and says in refused.stderr, refused.stderr
    assert set(read_sources(state / "harvest")) == {"museum", "graph"}  # nothing half-declared


def test_a_sources_interpretations_go_on_the_twins_they_are_about_with_their_provenance(tmp_path):
    folder = HarvestFolder(tmp_path / "harvest")
    records = museum_records()
    note = Record(
        identifier="https://museum.example/annotations/1",
        datestamp=datetime(2024, 2, 1, 9, 0, tzinfo=UTC),
        dc={
            "title": ["The tetradrachm shows Alexander as Herakles"],
            "creator": ["Ada Lovelace"],
            "date": ["2024-02-01"],
            "type": ["Annotation"],
            "description": ["Status: accepted; confidence 0.9"],
            "relation": ["oai:museum.example:4"],
        },
    )
    with Provider([*records, note], batch_size=4) as provider:
        source = museum(provider.url)
        first = harvest(source, folder)
        assert (first.error, first.added) == ("", 11)
        twins = folder.records("museum")
        assert len(twins) == 10  # the interpretation is no twin of its own
        said = [
            s
            for s in twins["oai:museum.example:4"]["referred_to_by"]
            if "Ada" in s.get("content", "")
        ]
        assert said and said[0]["content"].startswith(
            "Ada Lovelace (2024-02-01), in A small museum"
        )
        assert said[0]["identified_by"][0]["content"] == "https://museum.example/annotations/1"
        assert not any("Ada" in str(twins[k]) for k in twins if k != "oai:museum.example:4")
        graph = ox.Store()
        graph.load(path=str(folder.root / "twins" / "museum.nq"), format=ox.RdfFormat.N_QUADS)
        asked = graph.query(
            "PREFIX dct: <http://purl.org/dc/terms/> ASK { GRAPH <urn:echoes:graph:provenance> {"
            " ?n a <urn:echoes:term:HarvestedInterpretation> ;"
            " dct:identifier 'https://museum.example/annotations/1' ;"
            " dct:subject <urn:echoes:object:museum/oai:museum.example:4> } }"
        )
        assert bool(asked)

        # Nothing new: nothing written; the source withdraws it: said so, kept.
        assert harvest(source, folder).added == 0
        provider.records = [
            *records,
            replace(note, deleted=True, datestamp=datetime.now(UTC).replace(microsecond=0)),
        ]
        third = harvest(source, folder)
        assert (third.withdrawn, third.changed) == (1, 0), third
        kept = folder.records("museum")["oai:museum.example:4"]["referred_to_by"]
        assert any(
            "Ada" in s["content"] and "Withdrawn by its source" in s["content"] for s in kept
        )


def test_on_a_terminal_the_harvest_shows_a_bar_with_records_per_second(tmp_path):
    import fcntl
    import os
    import pty
    import struct
    import termios

    state = tmp_path / "state"
    with Provider(museum_records(), batch_size=4) as provider:
        declared = echoes(
            *("add", "museum", "--url", provider.url, "--title", "A small museum (synthetic)"),
            *("--licence", "CC0-1.0", "--citation", "Synthetic test records."),
            state=state,
        )
        assert declared.returncode == 0, declared.stderr
        leader, follower = pty.openpty()
        # A terminal of 100 columns (a new one has none, where a bar has no room).
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        try:
            ran = subprocess.Popen(
                [ECHOES, "harvest", "--state", str(state), "run"],
                stdin=subprocess.DEVNULL,
                stdout=follower,
                stderr=follower,
            )
            os.close(follower)
            shown = b""
            while True:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the terminal's other end closed: the command ended
                    break
                if not chunk:
                    break
                shown += chunk
            assert ran.wait(120) == 0, shown
        finally:
            os.close(leader)
    text = shown.decode("utf-8", "replace")
    assert "museum: 10 records" in text  # the summary line
    assert "\r" in text and " records/s" in text, text  # the bar, redrawn in place


def test_a_source_outside_may_not_send_the_harvest_inside_and_redirects_are_checked(tmp_path):
    import http.server
    import threading

    from echoes_hub.services.twins.harvest.fetch import SourceFailed, get, is_inside

    for url in [
        "http://127.0.0.1:1/",
        "http://10.1.2.3/",
        "http://169.254.169.254/",
        "http://[::1]/",
    ]:
        assert is_inside(url), url
    assert not is_inside("http://93.184.216.34/")  # a public address
    assert not is_inside("http://no-such-host.invalid/")

    class Redirects(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hops = int(self.path.strip("/") or 0)
            if hops < 9:
                self.send_response(302)
                self.send_header("Location", f"/{hops + 1}")
                self.end_headers()
            else:
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"there")

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirects)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(SourceFailed, match="inside this machine's networks"):
            get(f"{base}/9", Limits(inside=False))  # as a source outside would lead here
        assert get(f"{base}/5", Limits(inside=True)).content == b"there"  # four redirects
        with pytest.raises(SourceFailed, match="more than 5 redirects"):
            get(f"{base}/1", Limits(inside=True))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
