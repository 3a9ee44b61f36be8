"""`echoes contribute`: a spreadsheet and a folder of photographs become twins of the
commons, on the hub's machine, into the hub's harvest folder (``<state>/harvest``, beside
the harvested sources; the state folder as `echoes up` finds it).

    echoes contribute preview FILE [--rows N]
    echoes contribute map FILE > mapping.yaml
    echoes contribute check FILE --mapping M [--images DIR]
    echoes contribute licences
    echoes contribute publish FILE --mapping M --name NAME --title T --licence L
                              --citation C [--images DIR] [--contributor WHO]
                              [--language CODE]
    echoes contribute package NAME --out DIR

`check` and `publish` print every problem (file, row, column, fix) and exit with status 1
when there is any: then nothing is published.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from .. import TwinsService
from ..harvest.cli import built_collections, harvest_folder, hub_settings
from ..text_languages import text_languages
from .checks import check
from .mapping import BadMapping, mapping_text, read_mapping, suggest
from .package import NotPublished, write_package
from .publish import LICENCES, BadContribution, publish
from .sheets import BadSheet, read_sheet


def preview(path: Path, count: int) -> None:
    sheet = read_sheet(path)
    print(f"{sheet.file}: {len(sheet.rows)} rows, {len(sheet.header)} columns")
    print(" | ".join(["row", *sheet.header]))
    for number, values in sheet.rows[:count]:
        cells = [v if len(v) <= 30 else v[:29] + "…" for v in values]
        print(" | ".join([str(number), *cells]))


def main(argv: list[str] | None = None) -> None:
    defaults = TwinsService()
    parser = argparse.ArgumentParser(prog="echoes contribute", description=__doc__.split("\n\n")[0])
    parser.add_argument("--state", help="the hub's state folder (default: as `echoes up`)")
    commands = parser.add_subparsers(dest="command", required=True)
    shown = commands.add_parser("preview", help="the sheet's first rows")
    shown.add_argument("file", type=Path)
    shown.add_argument("--rows", type=int, default=5)
    mapped = commands.add_parser("map", help="a mapping YAML, suggested from the column names")
    mapped.add_argument("file", type=Path)
    commands.add_parser("licences", help="the licences a contribution may have")
    for command in ("check", "publish"):
        sub = commands.add_parser(command, help=f"{command} every row")
        sub.add_argument("file", type=Path)
        sub.add_argument("--mapping", type=Path, required=True, help="from `echoes contribute map`")
        sub.add_argument("--images", type=Path, help="the folder of the photographs")
        sub.add_argument(
            "--max-rows",
            type=int,
            default=defaults.contribute_max_rows,
            help="rows a sheet may have (TwinsService.contribute_max_rows)",
        )
        if command == "publish":
            sub.add_argument("--name", required=True, help="the collection: a-z, 0-9, hyphens")
            sub.add_argument("--title", required=True)
            sub.add_argument("--licence", required=True, choices=list(LICENCES), metavar="LICENCE")
            sub.add_argument("--citation", required=True)
            sub.add_argument("--contributor", default=getpass.getuser(), help="default: you")
            sub.add_argument(
                "--language",
                default="",
                choices=["", *text_languages()],
                metavar="CODE",
                help="the ISO 639-1 code of the sheet's texts (titles, descriptions): "
                "their names and statements say it",
            )
    packaged = commands.add_parser("package", help="a published collection as a Data Package")
    packaged.add_argument("name")
    packaged.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "preview":
            preview(args.file, args.rows)
        elif args.command == "map":
            sheet = read_sheet(args.file)
            sys.stdout.write(mapping_text(sheet, suggest(sheet.header)))
        elif args.command == "licences":
            for licence, about in LICENCES.items():
                print(f"{licence:<28} {about}")
        elif args.command in ("check", "publish"):
            sheet = read_sheet(args.file)
            fields = read_mapping(args.mapping, sheet)
            if args.images is not None and not args.images.is_dir():
                sys.exit(f"echoes contribute: --images {args.images}: not a folder")
            rows, problems = check(
                sheet,
                fields,
                args.images,
                max_rows=args.max_rows,
                max_image_bytes=defaults.contribute_max_image_bytes,
            )
            for problem in problems:
                print(problem, file=sys.stderr)
            wrong = [p for p in problems if not p.warning]
            if wrong:
                sys.exit(
                    f"echoes contribute: {len(wrong)} problems in {sheet.file}: nothing published"
                )
            if args.command == "check":
                print(f"{sheet.file}: {len(rows)} rows, no problem")
                return
            folder, data_dir, catalog = harvest_folder(args.state)
            done = publish(
                sheet,
                args.file,
                fields,
                rows,
                folder,
                name=args.name,
                title=args.title,
                licence=args.licence,
                citation=args.citation,
                contributor=args.contributor,
                language=args.language,
                images=args.images,
                catalog=catalog,
                built=built_collections(data_dir),
                iiif_url=hub_settings(args.state).service_public_url("iiif"),
            )
            print(
                f"{done.name} version {done.version}: {len(rows)} rows (+{done.added} new, "
                f"{done.changed} changed, {done.unchanged} unchanged, {done.withdrawn} "
                f"withdrawn) in {folder.root}"
            )
        else:
            folder, _, _ = harvest_folder(args.state)
            path = write_package(folder, args.name, args.out)
            print(f"{path}: a valid Data Package (frictionless)")
    except (BadSheet, BadMapping, BadContribution, NotPublished) as error:
        sys.exit(f"echoes contribute: {error}")
