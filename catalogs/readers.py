"""Intake readers for formats Intake has no plain reader for (loaded by name from catalogs)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import fsspec
from intake.readers import datatypes
from intake.readers.readers import FileReader


class IIIFManifestReader(FileReader):
    """A IIIF Presentation 3 manifest (JSON) as a dict, checked to be a Manifest."""

    output_instance = "builtins:dict"
    implements: ClassVar[set] = {datatypes.JSONFile}

    def _read(self, data: datatypes.JSONFile, **kwargs: Any) -> dict[str, Any]:
        with fsspec.open(data.url, "rt", encoding="utf-8", **(data.storage_options or {})) as f:
            manifest = json.load(f)
        if manifest.get("type") != "Manifest":
            raise ValueError(f"{data.url}: not a IIIF Presentation 3 Manifest")
        return manifest
