#!/usr/bin/env bash
# Resolve requirements.in plus the echoes-vre distribution's own dependencies into
# the lock requirements.txt and the readable list packages.md. Run it after editing
# requirements.in or the dependencies in pyproject.toml, then rebuild: make image.
# It resolves wheels for the image's Python (Debian bookworm's python3, 3.11.2).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"
target="${IMAGE_PYTHON_VERSION:-3.11.2}"

report="$(mktemp)"
project="$(mktemp)"
scratch="$(mktemp -d)"
trap 'rm -rf "$report" "$project" "$scratch"' EXIT
# The project goes in as a wheel of the working tree; its dependencies go in the lock.
"$python" - "$repo/pyproject.toml" >"$project" <<'PY'
import sys, tomllib
print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))
PY
echo "==> resolving requirements.in and the project's dependencies for Python $target"
# --dry-run resolves without installing; binary wheels only, as for the target Python.
PIP_CONSTRAINT= "$python" -m pip install --quiet --dry-run --ignore-installed --target "$scratch" \
    --python-version "$target" --only-binary=:all: \
    --report "$report" -r "$here/requirements.in" -r "$project"
"$python" "$here/write_lock.py" "$report" "$here"
