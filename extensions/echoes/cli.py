"""The `echoes` command: one entry point, one module per subcommand.

Subcommands are imported only when used, so `echoes run` in a user image does not
load the hub, and `echoes up` does not load the notebook stack.
"""

from __future__ import annotations

import importlib
import sys

from .localhost import resolve_localhost_names

#: subcommand -> (module:function taking argv, one-line summary)
COMMANDS: dict[str, tuple[str, str]] = {
    "up": ("echoes_hub.app:main", "start the hub (see `echoes up --help`)"),
    "data": ("echoes_data.cli:main", "build or check the shared heritage data (`echoes data -h`)"),
    # runs (issue 7): papermill runs with run records, reproduction, RO-Crate; link (18)
    "run": ("echoes.runs.cli:run_main", "run a notebook with papermill and record the run"),
    "reproduce": ("echoes.runs.cli:reproduce_main", "re-execute a run and say if it reproduces"),
    "crate": ("echoes.runs.cli:crate_main", "package a run as an RO-Crate"),
    "link": ("echoes.runs.cli:link_main", "list a run on the twin pages of the objects it named"),
    "publish": ("echoes.publish:main", "publish a notebook as a Voila app (apps service)"),
    "workshop": ("echoes.workshop:main", "create, list, end or revoke workshop events"),
    # federation (issue 19): other projects' collections in, as twins (hub side)
    "harvest": (
        "echoes_hub.services.twins.harvest.cli:main",
        "declare and harvest OAI-PMH sources into the twins (hub side)",
    ),
    # contributions (issue 22): a spreadsheet and a folder of images as twins (hub side)
    "contribute": (
        "echoes_hub.services.twins.contribute.cli:main",
        "publish a spreadsheet and its images as twins of the commons (hub side)",
    ),
}


def usage() -> str:
    lines = ["usage: echoes COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<12} {summary}" for name, (_, summary) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        sys.exit(f"echoes: unknown command {name!r}\n\n{usage()}")
    module, function = COMMANDS[name][0].split(":")
    # Every command may talk to a hub as a browser does (publish, workshop, link, a harvest
    # of another hub), whose services are on hosts under `.localhost` by default.
    resolve_localhost_names()
    try:
        command = getattr(importlib.import_module(module), function)
    except ModuleNotFoundError as error:
        if error.name != module.split(".")[0]:
            raise
        # The hub side is a distribution of its own, absent from user images.
        sys.exit(f"echoes {name}: {error.name} is not installed here (`make install` installs it)")
    command(rest)
