"""The shared heritage data: its Intake catalogs and the recipe that builds the data folder.

The catalogs (YAML, Intake 2 format) live in ``heritage-catalogs/`` beside this file;
``echoes data build`` materialises them with their data into a data folder (see README.md).
"""

from importlib.resources import files
from pathlib import Path

#: The folder of the packaged catalogs, the templates of a built data folder.
CATALOGS = Path(str(files(__name__) / "heritage-catalogs"))

#: Where IIIF ids point unless a deployment says where it publishes the data folder
#: (deliberately unresolvable, yet stable for annotations).
DEFAULT_BASE_URL = "https://heritage.echoes.invalid"
