"""A real OAI-PMH 2.0 provider we did not write, for harvest tests: pyoai's server (the `pyoai`
package, a dev dependency) over an in-memory, mutable list of records, on a free loopback port.

pyoai writes every answer (its `BatchingServer` pages with resumption tokens, its error
classes give the error codes, its `oai_dc_writer` the Dublin Core), so a harvester is checked
against someone else's reading of the protocol, not our own. We only supply pyoai's "batching
server interface" (`_Repository`) and a small WSGI app, served by wsgiref with a thread per
request in daemon threads of the test process. `Provider.mode` makes it misbehave on purpose
(malformed XML, a hang, an endless body) so a harvester's defences can be tested too.
"""

from __future__ import annotations

import sys
import threading
import traceback
import types
import urllib.parse
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


def _import_pyoai() -> tuple[types.ModuleType, types.ModuleType, types.ModuleType]:
    """Import pyoai's server, working around its use of the `cgi` module.

    pyoai 2.5 decodes resumption tokens with ``cgi.parse_qs``, which Python 3.8 removed (so
    every resumption request fails with AttributeError), and imports `cgi`, which Python 3.13
    removed. We hand its server module ``urllib.parse.parse_qs``, the same function (and an
    empty `cgi` module to import where there is none).
    """
    stub = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import cgi  # noqa: F401  (only so that pyoai's own `import cgi` works)
    except ModuleNotFoundError:
        stub = sys.modules["cgi"] = types.ModuleType("cgi")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            # oaipmh.common imports pkg_resources, which newer setuptools warn about.
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
            from oaipmh import common, error, server
    finally:
        if stub is not None and sys.modules.get("cgi") is stub:
            del sys.modules["cgi"]
    if not hasattr(server.cgi, "parse_qs"):
        server.cgi = types.SimpleNamespace(parse_qs=urllib.parse.parse_qs)
    return common, error, server


common, error, server = _import_pyoai()

from oaipmh.metadata import MetadataRegistry  # noqa: E402  (after the cgi work-around)

OAI_DC = (
    "oai_dc",
    "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
    "http://www.openarchives.org/OAI/2.0/oai_dc/",
)
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
MODES = ("ok", "garbage", "hang", "huge")
# How long mode "hang" waits before answering (unless the provider stops first).
HANG_SECONDS = 120.0
# How much mode "huge" would send if read to the end: well past any sane response limit.
HUGE_BYTES = 200 * 1024 * 1024
GARBAGE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record>'
    b"<header><identifier>oai:broken:1</identifier></head>&nbsp;<<metadata"
)


@dataclass
class Record:
    """One record of the provider; tests edit these between harvests."""

    identifier: str  # e.g. "oai:museum.example:42"
    datestamp: datetime  # UTC (a naive datetime is taken as UTC)
    sets: list[str] = field(default_factory=list)
    # Dublin Core element -> values; pyoai's oai_dc writer knows the 15 DC elements only.
    dc: dict[str, list[str]] = field(default_factory=dict)
    deleted: bool = False


def _naive_utc(moment: datetime) -> datetime:
    """pyoai only takes naive datetimes (UTC) and compares whole seconds (the granularity)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _in_set(record: Record, spec: str) -> bool:
    """Set membership is hierarchical in OAI-PMH: set "a" holds the records of "a:b"."""
    return any(own == spec or own.startswith(spec + ":") for own in record.sets)


class _Repository:
    """pyoai's IBatchingOAI interface over `Provider.records`, read afresh at each request."""

    def __init__(self, provider: Provider) -> None:
        self._provider = provider

    def _records(self) -> list[Record]:
        return list(self._provider.records)

    def identify(self) -> Any:
        stamps = [_naive_utc(record.datestamp) for record in self._records()]
        return common.Identify(
            repositoryName=self._provider.name,
            baseURL=self._provider.url,
            protocolVersion="2.0",
            adminEmails=["oai@museum.example"],
            earliestDatestamp=min(stamps, default=datetime(1970, 1, 1)),
            deletedRecord="persistent",
            granularity=GRANULARITY,
            compression=["identity"],
        )

    def listMetadataFormats(self, identifier: str | None = None) -> list[tuple[str, str, str]]:
        if identifier is not None:
            self._find(identifier)
        return [OAI_DC]

    def listSets(self, cursor: int = 0, batch_size: int = 10) -> list[tuple[str, str, None]]:
        specs = sorted({spec for record in self._records() for spec in record.sets})
        if not specs:
            raise error.NoSetHierarchyError("This repository does not support sets.")
        return [(spec, spec, None) for spec in specs[cursor : cursor + batch_size]]

    def getRecord(self, metadataPrefix: str, identifier: str) -> tuple[Any, Any, None]:
        record = self._find(identifier)
        self._check_format(metadataPrefix)
        return self._header(record), self._metadata(record), None

    def listIdentifiers(
        self,
        metadataPrefix: str,
        set: str | None = None,  # pyoai passes it by this name
        from_: datetime | None = None,
        until: datetime | None = None,
        cursor: int = 0,
        batch_size: int = 10,
    ) -> list[Any]:
        found = self._matching(metadataPrefix, set, from_, until)
        return [self._header(record) for record in found[cursor : cursor + batch_size]]

    def listRecords(
        self,
        metadataPrefix: str,
        set: str | None = None,  # pyoai passes it by this name
        from_: datetime | None = None,
        until: datetime | None = None,
        cursor: int = 0,
        batch_size: int = 10,
    ) -> list[tuple[Any, Any, None]]:
        found = self._matching(metadataPrefix, set, from_, until)
        return [
            (self._header(record), self._metadata(record), None)
            for record in found[cursor : cursor + batch_size]
        ]

    def _find(self, identifier: str) -> Record:
        for record in self._records():
            if record.identifier == identifier:
                return record
        raise error.IdDoesNotExistError(f"No record with identifier {identifier}.")

    @staticmethod
    def _check_format(prefix: str) -> None:
        if prefix != OAI_DC[0]:
            raise error.CannotDisseminateFormatError(f"Unknown metadata format: {prefix}")

    def _matching(
        self, prefix: str, spec: str | None, from_: datetime | None, until: datetime | None
    ) -> list[Record]:
        """The records a list request selects; pyoai says noRecordsMatch when there are none."""
        self._check_format(prefix)
        records = self._records()
        if spec is not None and not any(record.sets for record in records):
            raise error.NoSetHierarchyError("This repository does not support sets.")
        return [
            record
            for record in records
            if (spec is None or _in_set(record, spec))
            and (from_ is None or _naive_utc(record.datestamp) >= from_)
            and (until is None or _naive_utc(record.datestamp) <= until)
        ]

    @staticmethod
    def _header(record: Record) -> Any:
        return common.Header(
            None, record.identifier, _naive_utc(record.datestamp), list(record.sets), record.deleted
        )

    @staticmethod
    def _metadata(record: Record) -> Any:
        if record.deleted:
            return None
        return common.Metadata(None, {name: list(values) for name, values in record.dc.items()})


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """A thread per request, as daemons: a hanging handler never keeps the test process up."""

    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr for every request of a harvest."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Provider:
    """A running pyoai OAI-PMH provider over `records`, as a context manager.

    ``url`` is its base URL once entered; ``records`` may be changed, added to and deleted from
    between harvests; ``mode`` is "ok", "garbage" (200 with malformed XML), "hang" (answers
    after HANG_SECONDS, so a client timeout fires) or "huge" (an endless-looking ListRecords of
    HUGE_BYTES without a Content-Length, so a size limit fires); ``requests`` counts requests.
    """

    def __init__(
        self, records: list[Record], *, batch_size: int = 10, name: str = "Test museum"
    ) -> None:
        self.records: list[Record] = records
        self.name = name
        self.url: str = ""
        self.mode: str = "ok"
        self.requests: int = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: _ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None
        registry = MetadataRegistry()
        registry.registerWriter(OAI_DC[0], server.oai_dc_writer)
        self._oai = server.BatchingServer(
            _Repository(self), metadata_registry=registry, resumption_batch_size=batch_size
        )

    def __enter__(self) -> Provider:
        self._stop.clear()
        self._httpd = make_server(
            "127.0.0.1",
            0,
            self._app,
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self.url = f"http://127.0.0.1:{self._httpd.server_port}/oai"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="oai-provider",
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # Release hanging and streaming handlers first, so that nothing waits for them.
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(10)
        self._httpd = self._thread = None

    def handle(self, arguments: dict[str, str]) -> bytes:
        """pyoai's answer to one request's arguments (verb, metadataPrefix, ...), as XML."""
        return self._oai.handleRequest(arguments)

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            self.requests += 1
        if environ.get("PATH_INFO", "") != "/oai":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not found: the OAI-PMH base URL is /oai\n"]
        mode = self.mode
        if mode not in MODES:
            raise ValueError(f"Unknown mode {mode!r}; one of {MODES}")
        if mode == "garbage":
            start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
            return [GARBAGE]
        if mode == "huge":
            start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
            return self._huge()
        if mode == "hang" and self._stop.wait(HANG_SECONDS):
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"Stopping\n"]
        try:
            body = self._answer(environ)
        except Exception:
            traceback.print_exc()
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [traceback.format_exc().encode()]
        start_response(
            "200 OK",
            [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _answer(self, environ: dict[str, Any]) -> bytes:
        """Parse a GET query string or a form POST into the one-value dict pyoai expects."""
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            query = environ["wsgi.input"].read(length).decode("utf-8", "replace")
        else:
            query = environ.get("QUERY_STRING", "")
        parsed = urllib.parse.parse_qs(query, keep_blank_values=True)
        repeated = sorted(name for name, values in parsed.items() if len(values) > 1)
        if repeated:
            # OAI-PMH forbids repeated arguments; let pyoai write the error.
            oops = error.BadVerbError if "verb" in repeated else error.BadArgumentError
            try:
                raise oops(f"Repeated argument(s): {', '.join(repeated)}")
            except oops:
                return self._oai.handleException({}, sys.exc_info())
        return self.handle({name: values[0] for name, values in parsed.items()})

    def _huge(self) -> Iterator[bytes]:
        """The start of a plausible ListRecords that goes on for HUGE_BYTES, made lazily."""
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
            "<responseDate>2024-01-01T00:00:00Z</responseDate>"
            f'<request verb="ListRecords" metadataPrefix="oai_dc">{self.url}</request>'
            "<ListRecords>"
        ).encode()
        record = (
            b"<record><header><identifier>oai:museum.example:huge</identifier>"
            b"<datestamp>2024-01-01T00:00:00Z</datestamp></header></record>\n"
        )
        chunk = record * (65536 // len(record))
        sent = len(head)
        yield head
        while sent < HUGE_BYTES and not self._stop.is_set():
            yield chunk
            sent += len(chunk)


def museum_records() -> list[Record]:
    """Ten synthetic test records of a small museum (made up, not a real collection's)."""
    rows = [
        ("Portrait of a Lady", "Anonymous, Flemish school", "c. 1520", "painting", "paintings"),
        ("River Landscape with Ferry", "Salomon van Ruysdael", "1649", "painting", "paintings"),
        ("Still Life with Lemons", "Circle of Willem Kalf", "c. 1660", "painting", "paintings"),
        ("Tetradrachm of Alexander the Great", "Mint of Amphipolis", "c. 325 BC", "coin", "coins"),
        ("Denarius of Hadrian", "Mint of Rome", "AD 125-128", "coin", "coins"),
        ("Astrolabe", "Unknown maker, Nuremberg", "1568", "scientific instrument", "objects"),
        ("Book of Hours", "Workshop of the Bedford Master", "c. 1430", "manuscript", "books"),
        ("Map of the Low Countries", "Abraham Ortelius", "1570", "map", "books"),
        ("Delftware Tile with a Ship", "Anonymous, Delft", "c. 1700", "tile", "objects"),
        ("Study of Hands", "Attributed to Albrecht Durer", "1506", "drawing", "drawings"),
    ]
    return [
        Record(
            identifier=f"oai:museum.example:{number}",
            datestamp=datetime(2024, 1, number, 9, 30, tzinfo=UTC),
            sets=[collection],
            dc={
                "title": [title],
                "creator": [creator],
                "date": [date],
                "type": [kind],
                "description": [f"Synthetic test record: {title.lower()} ({kind})."],
                "identifier": [f"https://museum.example/objects/{number}"],
                "rights": ["https://creativecommons.org/publicdomain/zero/1.0/"],
            },
        )
        for number, (title, creator, date, kind, collection) in enumerate(rows, start=1)
    ]
