"""`echoes harvest`: the administrator declares sources and harvests them, on the hub's
machine, into the hub's harvest folder (``<state>/harvest``; the state folder as `echoes
up` finds it: ``--state``, ECHOES_STATE_DIR, or ``.echoes`` here).

    echoes harvest add NAME --url URL --title T --licence SPDX --citation C
                            [--protocol P] [--set S] [--prefix oai_dc|edm]
                            [--query-file Q.rq] [--schedule hourly|daily|weekly]
    echoes harvest import SOURCES.yaml
    echoes harvest list
    echoes harvest run [NAME ...]

Each run shows its progress (a bar on a terminal: records, records per second) and a line
per source; a source that fails is reported with the reason and the others are harvested.
Exit status 1 when any failed. Each harvest that brings something new also writes the
users' catalog of the harvested collections (``EchoesHub.harvested_dir``:
``<state>/harvested``; catalog.py), which `echoes.catalog()` shows as the theme
``harvested``. The twins service picks the harvest up within
`TwinsService.reload_check` seconds, and harvests the sources with a schedule by itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from ....settings import EchoesHub
from .. import TwinsService
from .catalog import HarvestedCatalog
from .fetch import Limits
from .folder import HarvestFolder
from .run import Report, harvest
from .sources import (
    DECLARATIONS,
    PROTOCOLS,
    SCHEDULES,
    BadSource,
    Source,
    read_declarations,
    read_sources,
    save_source,
)


def hub_settings(state: str | None) -> EchoesHub:
    """The settings of the hub whose state folder is ``state`` (default: as `echoes up`)."""
    return EchoesHub(state_dir=state) if state else EchoesHub()


def harvest_folder(state: str | None) -> tuple[HarvestFolder, Path, HarvestedCatalog]:
    """The harvest folder, the data folder and the harvested collections' catalog (with
    the twins service's pages) of the hub whose state folder is ``state``."""
    settings = hub_settings(state)
    catalog = HarvestedCatalog(settings.harvested_dir, pages=settings.service_public_url("twins"))
    return HarvestFolder(settings.state_path / "harvest"), Path(settings.data_dir), catalog


def built_collections(data_dir: Path) -> set[str]:
    try:
        return set(json.loads((data_dir / "twins" / "index.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return set()


def names_taken(folder: HarvestFolder, data_dir: Path) -> set[str]:
    """The collections a new source may not be named as: the data build's, and those in
    the harvest folder that no source harvests (contributed: `echoes contribute`)."""
    return built_collections(data_dir) | (set(folder.index()) - set(read_sources(folder.root)))


def summary(report: Report) -> str:
    return (
        f"{report.source}: {report.seen} records, {report.rate:.0f}/s "
        f"(+{report.added} new, {report.changed} changed, {report.withdrawn} withdrawn, "
        f"{len(report.failed)} unreadable)"
    )


class Progress:
    """A bar on a terminal (records, of how many when the source says, per second); a
    line per source wherever the output goes."""

    def __init__(self) -> None:
        self.bar: tqdm | None = None

    def __call__(self, report: Report) -> None:
        if self.bar is None:
            self.bar = tqdm(desc=report.source, unit=" records", disable=None, file=sys.stderr)
        self.bar.total = report.total
        self.bar.update(report.seen - self.bar.n)
        if report.finished:
            self.bar.close()
            self.bar = None
            print(summary(report), file=sys.stderr, flush=True)


def read_query(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadSource(f"--query-file {path}: {error}") from error


def main(argv: list[str] | None = None) -> None:
    defaults = TwinsService()
    parser = argparse.ArgumentParser(prog="echoes harvest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--state", help="the hub's state folder (default: as `echoes up`)")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="declare a source (or change its declaration)")
    add.add_argument("name", help="the twins' collection: lower-case letters, digits, hyphens")
    add.add_argument(
        "--url",
        required=True,
        help="the source's address (by protocol: the OAI-PMH base URL, the Change Discovery "
        "stream or Linked Art record, the SPARQL endpoint)",
    )
    add.add_argument("--title", required=True, help="the collection's title")
    add.add_argument("--licence", required=True, help="the records' licence (SPDX id)")
    add.add_argument("--citation", required=True, help="how to cite the source")
    add.add_argument("--protocol", default="oai-pmh", choices=PROTOCOLS, help="how to ask it")
    add.add_argument("--set", default="", help="OAI-PMH: harvest only this set")
    add.add_argument("--prefix", default="oai_dc", help="OAI-PMH: metadata format, oai_dc or edm")
    add.add_argument("--query-file", type=Path, help="SPARQL: the file of the CONSTRUCT query")
    add.add_argument("--schedule", default="", choices=[s for s in SCHEDULES if s])
    imported = commands.add_parser(
        "import",
        help="declare the sources a YAML file declares (all, or none when one is wrong)",
        description="A file of declarations:\n\n" + DECLARATIONS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imported.add_argument("file", type=Path)
    commands.add_parser("list", help="the sources and their last harvest")
    run = commands.add_parser("run", help="harvest the sources named (default: all)")
    run.add_argument("names", nargs="*")
    run.add_argument(
        "--timeout",
        type=float,
        default=defaults.harvest_timeout,
        help="seconds an answer may take (TwinsService.harvest_timeout)",
    )
    run.add_argument(
        "--max-bytes",
        type=int,
        default=defaults.harvest_max_bytes,
        help="bytes an answer may have (TwinsService.harvest_max_bytes)",
    )
    args = parser.parse_args(argv)
    folder, data_dir, catalog = harvest_folder(args.state)
    try:
        sources = read_sources(folder.root)
        if args.command == "add":
            source = Source(
                name=args.name,
                url=args.url,
                title=args.title,
                licence=args.licence,
                citation=args.citation,
                protocol=args.protocol,
                metadata_prefix=args.prefix,
                set=args.set,
                query=read_query(args.query_file),
                schedule=args.schedule,
            )
            save_source(folder.root, source, names_taken(folder, data_dir))
            print(f"source {source.name} declared in {folder.root / 'sources.json'}")
        elif args.command == "import":
            taken = names_taken(folder, data_dir)
            declared = read_declarations(args.file, taken)
            for source in declared:
                save_source(folder.root, source, taken)
            names = ", ".join(s.name for s in declared) or "none"
            print(f"{len(declared)} sources declared from {args.file}: {names}")
        elif args.command == "list":
            for name, source in sources.items():
                last = (folder.state(name).get("harvests") or [{}])[-1]
                when = last.get("finished") or "never"
                every = source.schedule or "by hand"
                print(f"{name}\t{source.protocol}\t{source.url}\t{every}\tlast harvest: {when}")
        else:
            unknown = sorted(set(args.names) - set(sources))
            if unknown:
                sys.exit(f"echoes harvest: no source {', '.join(unknown)} (echoes harvest list)")
            failed = False
            catalog.write(folder)  # what a harvest from before the catalog left out
            for name in args.names or list(sources):
                report = harvest(
                    sources[name],
                    folder,
                    limits=Limits(args.timeout, args.max_bytes),
                    progress=Progress(),
                    catalog=catalog,
                )
                for problem in report.failed:
                    print(f"{name}: {problem['identifier']}: {problem['reason']}", file=sys.stderr)
                if report.error:
                    failed = True
                    print(f"{name}: harvest failed: {report.error}", file=sys.stderr)
            if failed:
                sys.exit(1)
    except BadSource as error:
        sys.exit(f"echoes harvest: {error}")
