"""What the hub, a user server and an app import when they start does no work of seconds.

jupyter-events (imported by JupyterHub and jupyter-server) asks for jsonschema's
`format-nongpl` extra; from jsonschema 4.25 that extra brings rfc3987-syntax, which builds
a Lark grammar when it is imported: about 2 s of CPU (10 s on a busy 2-core machine) in
every hub start, user server, Voila app and papermill run, and in the test suite hundreds
of those (python-jsonschema/jsonschema#1428). hub/pyproject.toml keeps jsonschema below 4.25.
"""

from __future__ import annotations

import subprocess
import sys

#: The modules the hub, a user server and a published app start from.
STARTS = ("jupyterhub.app", "jupyter_server.serverapp", "voila.app", "papermill")


def test_starting_a_hub_server_or_app_builds_no_grammar() -> None:
    code = (
        f"import sys, {', '.join(STARTS)}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'rfc3987_syntax', 'lark'}))"
    )
    imported = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert imported == "[]", f"a start imports a grammar builder: {imported}"
