# JupyterHub configuration of ECHOES VRE: a thin file, all logic is in echoes_hub.prepare
# (what a start makes) and echoes_hub.config (the configuration built from it).
# Deployment settings go in the file named by ECHOES_CONFIG (default: echoes_config.py in
# the state folder) as traitlets options, e.g. `c.EchoesHub.cull_idle_timeout = 600`.
import os
from pathlib import Path

from echoes_hub.prepare import prepare_and_apply

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)
# The hub's databases, secrets and logs are its account's only (as `echoes up` does).
os.umask(0o077)

_settings_file = os.environ.get("ECHOES_CONFIG") or str(
    Path(os.environ.get("ECHOES_STATE_DIR", ".echoes"), "echoes_config.py")
)
if Path(_settings_file).is_file():
    load_subconfig(_settings_file)  # noqa: F821

# As `echoes up` does: what this start needs is made once, then the configuration is built.
prepare_and_apply(c)
