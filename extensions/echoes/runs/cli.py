"""Command lines of `echoes run`, `reproduce`, `crate` and `link` (thin: parse, call)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml


def _value(text: str) -> object:
    """A parameter value: 3 -> int, 0.5 and 1e-3 -> float, true -> bool, [1, 2] -> list."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        pass
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, (bool, list, dict)) or value is None else text


def _fail(message: str) -> None:
    sys.exit(f"echoes: {message}")


def run_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="echoes run",
        description="Execute a notebook with papermill; write the output notebook and a "
        "run record (OUT with .run.json) beside it.",
    )
    parser.add_argument("notebook")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a parameter (repeatable)",
    )
    parser.add_argument("-o", "--output", help="output notebook (default NOTEBOOK.out.ipynb)")
    parser.add_argument("-k", "--kernel", help="kernel name (default: the notebook's)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    from .execute import run

    try:
        result = run(
            args.notebook,
            args.output,
            {name: _value(value) for name, value in args.parameter},
            kernel_name=args.kernel,
            progress=not args.no_progress,
        )
    except (FileNotFoundError, ValueError) as error:
        _fail(str(error))
    print(f"output: {result.output}\nrun record: {result.record_path}")
    if result.error:
        _fail(f"{args.notebook}: {result.error}")


def reproduce_main(argv: list[str]) -> None:
    from .compare import Tolerance

    defaults = Tolerance()
    parser = argparse.ArgumentParser(
        prog="echoes reproduce",
        description="Re-execute a recorded run (its .run.json, or its output notebook) or a "
        "published notebook with outputs in a fresh kernel and compare every cell. Writes "
        "report.json and report.html; exits 0 only when it reproduces.",
    )
    parser.add_argument("target", metavar="RUN_OR_NOTEBOOK")
    parser.add_argument("-o", "--out", help="report folder (default ./NAME.reproduce)")
    parser.add_argument(
        "-w",
        "--workdir",
        help="folder to re-execute in (default: the run's own folder when you may write "
        "there, else a new folder in ~/reproductions/)",
    )
    parser.add_argument("-k", "--kernel", help="kernel name (default: the notebook's)")
    parser.add_argument("--rtol", type=float, default=defaults.rtol, help="relative tolerance")
    parser.add_argument("--atol", type=float, default=defaults.atol, help="absolute tolerance")
    parser.add_argument(
        "--pixel-threshold",
        type=int,
        default=defaults.pixel_threshold,
        help="channel difference (0-255) under which pixels count as equal",
    )
    parser.add_argument(
        "--pixel-fraction",
        type=float,
        default=defaults.pixel_fraction,
        help="fraction of pixels that may differ",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    from .reproduce import reproduce

    tolerance = Tolerance(args.rtol, args.atol, args.pixel_threshold, args.pixel_fraction)
    try:
        result = reproduce(
            args.target,
            args.out,
            tolerance=tolerance,
            progress=not args.no_progress,
            kernel_name=args.kernel,
            workdir=args.workdir,
        )
    except (FileNotFoundError, ValueError, PermissionError) as error:
        _fail(str(error))
    print(f"re-executed in {result.workdir}")
    for reason in result.reasons:
        print(f"- {reason['kind']}: {reason['message']}")
    report = Path(result.reproduced).parent / "report.html"
    print(f"{args.target}: {result.verdict} (report: {report})")
    sys.exit(0 if result.ok else 1)


def crate_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="echoes crate",
        description="Package a run (record, notebooks, data, reproduction report) as an "
        "RO-Crate following the Workflow Run Crate profile.",
    )
    parser.add_argument("run", metavar="RUN", help="a run record (.run.json) or output notebook")
    parser.add_argument("-o", "--out", help="crate folder, or a .zip (default ./NAME.crate)")
    parser.add_argument("--report", help="a reproduction report.json to include")
    parser.add_argument(
        "--publisher", help="the organisation that publishes the crate (default: you, a person)"
    )
    args = parser.parse_args(argv)
    from .crate import make_crate

    try:
        path = make_crate(args.run, args.out, report=args.report, publisher=args.publisher)
    except (FileNotFoundError, ValueError, PermissionError) as error:
        _fail(str(error))
    print(f"RO-Crate: {path}")


def link_main(argv: list[str]) -> None:
    from ..hub import (
        ServiceRefused,
        ServiceUnavailable,
        add_hub_options,
        add_service_option,
        check_hub_options,
        hub_of,
    )

    parser = argparse.ArgumentParser(
        prog="echoes link",
        description="Link a run to the heritage objects its record names: one linking "
        "annotation per object, whose twin page then lists the run among the analyses "
        "that used it (when public). Linking again makes no second annotation.",
    )
    parser.add_argument("run", metavar="RUN", help="a run record (.run.json) or output notebook")
    parser.add_argument(
        "--visibility",
        default="public",
        help="public (the default: the twins' pages show it), private or group:NAME",
    )
    add_hub_options(parser)
    add_service_option(parser, "annotations", "the annotation service")
    args = parser.parse_args(argv)
    check_hub_options(parser, args, args.annotations)
    from ..annotations import AnnotationClient
    from .link import link

    hub = hub_of(args)
    try:
        client = AnnotationClient(args.annotations or hub.service_url("annotations"), args.token)
        links = link(args.run, client, args.visibility)
    except (
        FileNotFoundError,
        ValueError,
        PermissionError,
        ServiceRefused,
        ServiceUnavailable,
    ) as error:
        _fail(str(error))
    if not links:
        print(f"{args.run}: the run names no heritage object; nothing to link")
    for found in links:
        print(
            f"{found.object}: {'linked' if found.made else 'already linked'} ({found.annotation})"
        )
