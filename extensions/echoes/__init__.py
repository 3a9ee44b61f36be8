"""ECHOES VRE in a notebook: the shared heritage catalogs, the digital twins (``twin``,
``sparql``, ``twins.search``), annotations and run helpers."""

# No `from __future__ import annotations` here: it would bind the name `annotations` in
# this package to a __future__ feature, and `from echoes import annotations` would return
# that instead of the annotation client module.
import importlib
from typing import Any

__version__ = "0.1.0"

# Public names -> their module, imported on first use so `import echoes` stays light.
_LAZY = {
    "catalog": "echoes.catalogs",
    "search": "echoes.catalogs",
    "twin": "echoes.twins",
    "sparql": "echoes.twins",
}
#: Modules reached as attributes without an import of their own (``echoes.twins.search``,
#: ``echoes.annotations.annotate``).
_MODULES = {"twins", "annotations"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _MODULES:
        return importlib.import_module(f"echoes.{name}")  # binds the attribute itself
    raise AttributeError(f"module 'echoes' has no attribute {name!r}")
