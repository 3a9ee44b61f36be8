"""Editable installs of the packages whose folders have other names (pyproject `sources`).

hatchling's editable wheels cannot rename a folder (hub/ is imported as echoes_hub,
pypa/hatch#1887), so this build hook maps each package to its folder with `editables`, the
library hatchling's own editable wheels use. Standard wheels are left to hatchling.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from editables import EditableProject
from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class EditableSources(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version != "editable":
            return
        project = EditableProject(self.metadata.name, self.root)
        for folder, package in self.build_config.sources.items():
            project.map(package.strip("/"), folder)
        # The import hook and the .pth that loads it go into the wheel as files.
        self.scratch = tempfile.TemporaryDirectory()
        for name, content in project.files():
            path = Path(self.scratch.name, name)
            path.write_text(content)
            build_data["force_include_editable"][str(path)] = name
        build_data["dependencies"] += project.dependencies()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if version == "editable":
            self.scratch.cleanup()
