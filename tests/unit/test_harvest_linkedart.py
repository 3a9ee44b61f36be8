"""Harvesting Linked Art (hub/services/twins/harvest/linkedart.py): a IIIF Change
Discovery 1.0 stream and the Linked Art records it lists, made from the data build's own
records (coins and Tate artworks) and served over real HTTP by a throwaway static server
that counts what it is asked. A first harvest; an update, a deletion and a creation
appended to the stream, read from the last page back only as far as the last harvest;
a harvest with nothing new; a single record; a stream or a record that answers garbage,
too much or nothing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from echoes_hub.services.twins.harvest.fetch import Limits
from echoes_hub.services.twins.harvest.folder import HarvestFolder
from echoes_hub.services.twins.harvest.records import local_id
from echoes_hub.services.twins.harvest.run import harvest
from echoes_hub.services.twins.harvest.sources import Source
from tests.unit.test_harvest import echoes as harvest_command
from tests.unit.test_twins_oai import data_build

DISCOVERY = "http://iiif.io/api/discovery/1/context.json"
RECORD_TYPES = "https://linked.art/ns/v1/record-types.json"
START = datetime(2026, 1, 1, tzinfo=UTC)
PAGE = 5


class Handler(SimpleHTTPRequestHandler):
    """Files under the server's folder, each request counted; a path given a mode
    misbehaves: ``garbage`` (not JSON), ``huge`` (a body without end), ``hang`` (no
    answer until the server stops)."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        server: StaticServer = self.server.owner  # type: ignore[attr-defined]
        server.asked.append(self.path)
        mode = server.modes.get(self.path.split("?")[0], "ok")
        if mode == "ok":
            return super().do_GET()
        if mode == "hang":
            server.stopping.wait(60)
            return None
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.end_headers()
        try:
            if mode == "garbage":
                self.wfile.write(b'{"type": "OrderedCollection", "last": {"id": <<<')
            else:  # huge
                while not server.stopping.is_set():
                    self.wfile.write(b" " * (1 << 16))
        except OSError:
            pass  # the harvester hung up, as it should
        return None

    do_POST = do_GET  # a SPARQL endpoint is asked by POST


class StaticServer:
    """A throwaway HTTP server over ``folder`` on a free loopback port, in threads of the
    test process; stopped (and its hung answers released) when the block ends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.asked: list[str] = []
        self.modes: dict[str, str] = {}
        self.stopping = threading.Event()

    def __enter__(self) -> StaticServer:
        handler = partial(Handler, directory=str(self.folder))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        serve = partial(self.httpd.serve_forever, poll_interval=0.05)
        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


def shipped_records() -> list[dict]:
    """Eight coins (representations, owner) and six Tate artworks (makers, dates, media)
    as the data build wrote them."""
    twins = data_build() / "twins"
    coins = json.loads((twins / "coins.json").read_text(encoding="utf-8"))
    tate = json.loads((twins / "tate.json").read_text(encoding="utf-8"))
    return list(coins.values())[:8] + list(tate.values())[:6]


class Stream:
    """A Change Discovery stream over Linked Art records, written into ``folder`` as a
    publisher's static files: ``activity/all.json``, its pages, ``objects/<n>.json``."""

    def __init__(self, folder: Path, base: str) -> None:
        self.folder, self.base = folder, base
        self.activities: list[dict] = []
        (folder / "activity").mkdir(parents=True, exist_ok=True)
        (folder / "objects").mkdir(exist_ok=True)

    def url_of(self, number: int) -> str:
        return f"{self.base}/objects/{number}.json"

    def publish(self, number: int, record: dict, kind: str) -> None:
        record = {**record, "id": self.url_of(number)}
        path = self.folder / "objects" / f"{number}.json"
        path.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
        self.activity(number, kind)

    def activity(self, number: int, kind: str) -> None:
        when = START + timedelta(minutes=len(self.activities))
        self.activities.append(
            {
                "type": kind,
                "object": {"id": self.url_of(number), "type": "HumanMadeObject"},
                "endTime": when.isoformat().replace("+00:00", "Z"),
            }
        )
        self.write()

    def write(self) -> None:
        pages = [self.activities[i : i + PAGE] for i in range(0, len(self.activities), PAGE)]
        stream = f"{self.base}/activity/all.json"
        for number, items in enumerate(pages):
            page = {
                "@context": [RECORD_TYPES, DISCOVERY],
                "id": f"{self.base}/activity/page-{number}.json",
                "type": "OrderedCollectionPage",
                "partOf": {"id": stream, "type": "OrderedCollection"},
                "orderedItems": items,
            }
            if number:
                page["prev"] = {"id": f"{self.base}/activity/page-{number - 1}.json"}
            if number < len(pages) - 1:
                page["next"] = {"id": f"{self.base}/activity/page-{number + 1}.json"}
            (self.folder / "activity" / f"page-{number}.json").write_text(json.dumps(page))
        collection = {
            "@context": [RECORD_TYPES, DISCOVERY],
            "id": stream,
            "type": "OrderedCollection",
            "totalItems": len(self.activities),
            "first": {"id": f"{self.base}/activity/page-0.json", "type": "OrderedCollectionPage"},
            "last": {
                "id": f"{self.base}/activity/page-{len(pages) - 1}.json",
                "type": "OrderedCollectionPage",
            },
        }
        (self.folder / "activity" / "all.json").write_text(json.dumps(collection))


def source(url: str) -> Source:
    return Source(
        name="museum",
        url=url,
        title="A Linked Art museum (the data build's records, republished)",
        licence="CC0-1.0",
        citation="ECHOES VRE's data build, served as Linked Art for its tests.",
        protocol="linked-art",
    )


@contextmanager
def published(tmp_path: Path) -> Iterator[tuple[StaticServer, Stream, list[dict]]]:
    """A server with a stream of fourteen records, each created once."""
    records = shipped_records()
    with StaticServer(tmp_path / "site") as server:
        stream = Stream(tmp_path / "site", server.url)
        for number, record in enumerate(records, start=1):
            stream.publish(number, record, "Create")
        yield server, stream, records


def test_a_stream_is_harvested_then_read_back_only_as_far_as_the_last_harvest(tmp_path):
    folder = HarvestFolder(tmp_path / "harvest")
    with published(tmp_path) as (server, stream, records):
        museum = source(f"{server.url}/activity/all.json")
        first = harvest(museum, folder)
        assert (first.error, first.seen, first.added, first.failed) == ("", 14, 14, [])
        assert len(server.asked) == 1 + 3 + 14  # the collection, three pages, each record
        twins = folder.records("museum")
        coin = twins[local_id(stream.url_of(1))]
        assert coin["_label"] == records[0]["_label"] == "Greek coin 1 from Pompeii"
        assert coin["classified_as"][0]["_label"] == "Coin"
        assert coin["current_owner"][0]["_label"] == "Brooklyn Museum"
        shown = coin["representation"][0]["digitally_shown_by"][0]["access_point"][0]["id"]
        assert shown.endswith("#xywh=22,35,45,39")
        art = twins[local_id(stream.url_of(9))]
        made = records[8]["produced_by"]
        assert art["_label"] == records[8]["_label"]
        maker = made["carried_out_by"][0]["_label"]
        assert art["produced_by"]["carried_out_by"][0]["_label"] == maker
        assert art["produced_by"]["timespan"]["_label"] == made["timespan"]["_label"]
        medium = records[8]["referred_to_by"][0]["content"]
        assert any(s["content"] == medium for s in art["referred_to_by"])
        origin = folder.origins("museum")[local_id(stream.url_of(9))]
        assert origin.url == origin.identifier == stream.url_of(9)
        assert origin.datestamp == stream.activities[8]["endTime"]
        raw = folder.raw("museum")[local_id(stream.url_of(9))]
        assert raw == (tmp_path / "site" / "objects" / "9.json").read_text(encoding="utf-8")
        assert folder.state("museum")["last"] == stream.activities[-1]["endTime"]

        # The publisher renames one record, deletes another and adds a fifteenth.
        renamed = {**records[1], "_label": "Greek coin 2, renamed"}
        renamed["identified_by"] = [
            {**n, "content": "Greek coin 2, renamed"} if n["type"] == "Name" else n
            for n in records[1]["identified_by"]
        ]
        stream.publish(2, renamed, "Update")
        (tmp_path / "site" / "objects" / "3.json").unlink()
        stream.activity(3, "Delete")
        stream.publish(15, records[13], "Create")
        server.asked.clear()
        second = harvest(museum, folder)
        assert (second.error, second.seen) == ("", 3)
        assert (second.added, second.changed, second.withdrawn) == (1, 1, 1)
        # The collection, the new last page, the one before it (where the last harvest
        # stopped), and only the two records that changed: nothing older.
        assert server.asked == [
            "/activity/all.json",
            "/activity/page-3.json",
            "/activity/page-2.json",
            "/objects/15.json",
            "/objects/2.json",
        ]
        twins = folder.records("museum")
        assert len(twins) == 15  # the deleted one is kept
        assert twins[local_id(stream.url_of(2))]["_label"] == "Greek coin 2, renamed"
        gone = twins[local_id(stream.url_of(3))]
        assert "Withdrawn by its source" in gone["referred_to_by"][-1]["content"]
        deleted = stream.activities[15]["endTime"]
        assert folder.origins("museum")[local_id(stream.url_of(3))].withdrawn == deleted

        # Nothing new: the last page is read, nothing is fetched, nothing written.
        stamp = (folder.root / "BUILD.json").read_text()
        server.asked.clear()
        third = harvest(museum, folder)
        assert (third.error, third.seen, third.added, third.changed) == ("", 0, 0, 0)
        assert server.asked == ["/activity/all.json", "/activity/page-3.json"]
        assert (folder.root / "BUILD.json").read_text() == stamp


@pytest.mark.parametrize(
    ("path", "mode", "said"),
    [
        ("/activity/all.json", "garbage", "not JSON"),
        ("/activity/page-2.json", "huge", "larger than"),
        ("/activity/page-2.json", "hang", "no answer"),
        ("/objects/14.json", "hang", "no answer"),
    ],
)
def test_a_stream_that_misbehaves_fails_alone_and_keeps_what_was_harvested(
    tmp_path, path, mode, said
):
    folder = HarvestFolder(tmp_path / "harvest")
    with published(tmp_path) as (server, stream, records):
        museum = source(f"{server.url}/activity/all.json")
        assert harvest(museum, folder).error == ""
        kept, last = folder.records("museum"), folder.state("museum")["last"]
        stream.publish(14, {**records[13], "_label": "changed"}, "Update")
        server.modes[path] = mode
        started = time.monotonic()
        report = harvest(museum, folder, limits=Limits(1.0, 1 << 20))
        assert said in report.error, report.error
        assert time.monotonic() - started < 10
    assert folder.records("museum") == kept
    assert folder.state("museum")["last"] == last  # the next harvest starts from there


def test_a_record_that_cannot_be_read_is_reported_and_the_others_are_harvested(tmp_path):
    folder = HarvestFolder(tmp_path / "harvest")
    with published(tmp_path) as (server, stream, records):
        server.modes["/objects/4.json"] = "garbage"
        other = {**records[4], "@context": "https://schema.org/"}
        (tmp_path / "site" / "objects" / "5.json").write_text(json.dumps(other))
        (tmp_path / "site" / "objects" / "6.json").unlink()
        (tmp_path / "site" / "objects" / "7.json").write_text("[" * 100_000)
        report = harvest(source(f"{server.url}/activity/all.json"), folder)
    assert (report.error, report.seen, report.added) == ("", 14, 10)
    reasons = {f["identifier"]: f["reason"] for f in report.failed}
    assert "not JSON" in reasons[stream.url_of(4)]
    assert "not Linked Art's" in reasons[stream.url_of(5)]
    assert "HTTP 404" in reasons[stream.url_of(6)]
    assert "nested too deep" in reasons[stream.url_of(7)]
    assert local_id(stream.url_of(4)) not in folder.records("museum")


def test_a_single_linked_art_record_is_a_source_of_its_own(tmp_path):
    folder = HarvestFolder(tmp_path / "harvest")
    with published(tmp_path) as (_, stream, records):
        report = harvest(source(stream.url_of(9)), folder)
    assert (report.error, report.added) == ("", 1)
    [twin] = folder.records("museum").values()
    assert twin["_label"] == records[8]["_label"]


def test_the_command_declares_and_harvests_a_linked_art_source(tmp_path):
    echoes = partial(harvest_command, state=tmp_path / "state")
    with published(tmp_path) as (server, _, _):
        declared = echoes(
            "add",
            "museum",
            "--protocol",
            "linked-art",
            "--url",
            f"{server.url}/activity/all.json",
            "--title",
            "A Linked Art museum",
            "--licence",
            "CC0-1.0",
            "--citation",
            "Test records.",
        )
        assert declared.returncode == 0, declared.stderr
        ran = echoes("run", "museum")
        assert ran.returncode == 0, ran.stderr
        assert "museum: 14 records" in ran.stderr and "+14 new" in ran.stderr
        listed = echoes("list")
        assert listed.stdout.startswith(f"museum\tlinked-art\t{server.url}/activity/all.json\t")
