"""Write the image's lock (requirements.txt) and readable list (packages.md) from a pip report.

Usage: python write_lock.py REPORT.json FOLDER. Called by lock.sh; the report is what
``pip install --dry-run --report`` resolved for requirements.in and the project.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

#: The project itself goes into the image as a wheel built from the working tree.
PROJECT = "echoes-vre"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wished(requirements_in: Path) -> set[str]:
    names = set()
    for line in requirements_in.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(canonical(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0]))
    return names


def main(report_path: str, folder: str) -> None:
    here = Path(folder)
    report = json.loads(Path(report_path).read_text())
    wish = wished(here / "requirements.in")
    packages = sorted(
        (
            (item["metadata"]["name"], item["metadata"]["version"], item["metadata"].get("summary"))
            for item in report["install"]
            if canonical(item["metadata"]["name"]) != PROJECT
        ),
        key=lambda p: canonical(p[0]),
    )
    lock = [
        "# Lock of the per-user image, written by lock.sh from requirements.in and the",
        "# dependencies of echoes-vre (Python 3.11, linux x86_64). Do not edit by hand.",
        *(f"{name}=={version}" for name, version, _ in packages),
    ]
    (here / "requirements.txt").write_text("\n".join(lock) + "\n")
    rows = [
        "# Packages in echoes/singleuser",
        "",
        "Written by `lock.sh` with `requirements.txt`; **bold** names are asked for in",
        "`requirements.in`, the others come with them. Python 3.11 on Debian bookworm.",
        "",
        "| package | version | what it is |",
        "| --- | --- | --- |",
    ]
    for name, version, summary in packages:
        shown = f"**{name}**" if canonical(name) in wish else name
        text = (summary or "").replace("|", "/").strip()
        rows.append(f"| {shown} | {version} | {text} |")
    (here / "packages.md").write_text("\n".join(rows) + "\n")
    print(f"==> locked {len(packages)} packages in {here / 'requirements.txt'}")


if __name__ == "__main__":
    main(*sys.argv[1:])
