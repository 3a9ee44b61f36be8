# JupyterHub configuration of ECHOES VRE: a thin file, all logic is in echoes_hub.config.
# Deployment settings go in the file named by ECHOES_CONFIG (default: echoes_config.py in
# the state folder) as traitlets options, e.g. `c.EchoesHub.cull_idle_timeout = 600`.
import os
from pathlib import Path

from echoes_hub.config import apply

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)
# The hub's databases, secrets and logs are its account's only (as `echoes up` does).
os.umask(0o077)

_deployment = os.environ.get("ECHOES_CONFIG") or str(
    Path(os.environ.get("ECHOES_STATE_DIR", ".echoes"), "echoes_config.py")
)
if Path(_deployment).is_file():
    load_subconfig(_deployment)  # noqa: F821

apply(c)
