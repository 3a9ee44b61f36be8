"""Packages whose folders have other names: hub/ is imported as echoes_hub, catalogs/ as
echoes_data, extensions/echoes as echoes.

hatchling's editable wheels cannot rename a folder (pypa/hatch#1887), so this build hook
maps each package to its folder with `editables`, the library hatchling's own editable
wheels use. The root project names its folders in `sources`, which standard wheels follow.
The hub's project (hub/pyproject.toml) is itself the folder of its one package, named by
the hook's `package` option: its standard wheel gets every file below as that package.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from editables import EditableProject
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: Files of a package folder that are not the package's.
NOT_SHIPPED = ("pyproject.toml",)


class EditableSources(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        package = self.config.get("package")
        if version != "editable":
            if package:
                for path in sorted(Path(self.root).rglob("*")):
                    relative = path.relative_to(self.root)
                    ours = str(relative) not in NOT_SHIPPED
                    shipped = ours and "__pycache__" not in relative.parts
                    if path.is_file() and shipped:
                        build_data["force_include"][str(path)] = f"{package}/{relative}"
            return
        project = EditableProject(self.metadata.name, self.root)
        if package:
            project.map(package, ".")
        for folder, name in self.build_config.sources.items():
            project.map(name.strip("/"), folder)
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
