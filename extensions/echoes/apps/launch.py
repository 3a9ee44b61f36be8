"""What runs under the apps' own account: Voila for one app, or the trial run of a
notebook at publishing time.

    python -m echoes.apps.launch voila NOTEBOOK [VOILA ARGS...]
    python -m echoes.apps.launch check NOTEBOOK TIMEOUT

Voila's token comes from the environment (ECHOES_APP_TOKEN), not the command line,
so that other local accounts cannot read it in `ps`; it is removed before kernels start.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path


def run_voila(argv: list[str]) -> None:
    from voila.app import Voila

    token = os.environ.pop("ECHOES_APP_TOKEN", "")
    if not token:
        sys.exit("launch: ECHOES_APP_TOKEN is not set; refusing to serve an app without a token")
    Voila.launch_instance(argv=[*argv, f"--Voila.token={token}"])


def first_png(nb) -> str:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png:
                return png.strip() if isinstance(png, str) else base64.b64encode(png).decode()
    return ""


def check(notebook: str, timeout: int) -> dict:
    """Run the notebook top to bottom; report the first error and a thumbnail (PNG)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    path = Path(notebook)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": path.parent}}
    )
    try:
        client.execute()
    except CellExecutionError as e:
        return {"ok": False, "error": f"{e.ename}: {e.evalue}", "thumbnail": ""}
    except CellTimeoutError:
        return {"ok": False, "error": f"a cell ran longer than {timeout} s", "thumbnail": ""}
    return {"ok": True, "error": "", "thumbnail": first_png(nb)}


def main(argv: list[str]) -> None:
    if len(argv) >= 2 and argv[0] == "voila":
        run_voila(argv[1:])
    elif len(argv) == 3 and argv[0] == "check":
        print(json.dumps(check(argv[1], int(argv[2]))))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
