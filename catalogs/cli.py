"""`echoes data`: build, check and list the shared heritage data folder."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import DEFAULT_BASE_URL, validate


def default_data_dir() -> Path:
    """The hub's default: $ECHOES_DATA_DIR, else heritage/ in the state folder (.echoes)."""
    if os.environ.get("ECHOES_DATA_DIR"):
        return Path(os.environ["ECHOES_DATA_DIR"])
    return Path(os.environ.get("ECHOES_STATE_DIR", ".echoes")) / "heritage"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="echoes data", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build the data folder from the packaged sources")
    build.add_argument("--force", action="store_true", help="rebuild even if it is fresh")
    build.add_argument(
        "--base-url",
        help="URL where the data folder is published, for IIIF ids "
        f"(env ECHOES_DATA_BASE_URL; default {DEFAULT_BASE_URL})",
    )
    check = sub.add_parser("check", help="check the catalogs: metadata, licences, paths, files")
    check.add_argument("--checksums", action="store_true", help="also verify every sha256")
    sub.add_parser("list", help="list every entry of the catalogs")
    for command in (build, check, sub.choices["list"]):
        command.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="the data folder (default: $ECHOES_DATA_DIR or .echoes/heritage)",
        )
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    data_dir = args.data_dir or default_data_dir()
    if args.command == "build":
        from . import recipe  # pandas, xarray: only for building

        base_url = recipe.base_url_of(args.base_url)
        fresh = not args.force and recipe.is_fresh(data_dir.resolve(), base_url)
        recipe.build(data_dir, base_url=base_url, force=args.force)
        print(f"{data_dir}: {'up to date' if fresh else 'built'}")
        return
    root = data_dir / "catalog.yaml"
    if args.command == "check":
        problems = validate.check(root, checksums=args.checksums)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            sys.exit(1)
        print(f"{root}: ok")
        return
    for name, _, doc, entry in validate.walk(root):
        title = (doc["entries"][entry].get("metadata") or {}).get("title", "")
        print(f"{name:<45} {title}")
