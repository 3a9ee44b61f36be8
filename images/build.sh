#!/usr/bin/env bash
# Build the per-user image (make image): the base image if missing, the project's
# wheel, then images/singleuser/Dockerfile on top. The image carries a label with a
# hash of its inputs; when an image with the same hash exists the build is skipped.
# Usage: images/build.sh [--if-engine]
#   --if-engine  do nothing (exit 0) when no Docker engine answers, for `make test`
#                off root; with CI=true a missing engine is an error all the same.
# Environment: ECHOES_IMAGE (default echoes/singleuser:latest), ECHOES_BASE_IMAGE
# (default echoes/base:bookworm, built here; set a registry image to use that).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
image="${ECHOES_IMAGE:-echoes/singleuser:latest}"
base="${ECHOES_BASE_IMAGE:-echoes/base:bookworm}"
python="${PYTHON:-$repo/.venv/bin/python}"
[ -x "$python" ] || python=python3

if ! docker info >/dev/null 2>&1; then
    if [ "${1:-}" = "--if-engine" ] && [ "${CI:-}" != "true" ]; then
        echo "==> no Docker engine answers: image $image not built (container tests skip)"
        exit 0
    fi
    echo "build.sh: no Docker engine answers (as root, make docker-engine starts one)" >&2
    exit 1
fi

# Everything the image is made of (sources only: pip's build hook makes the JupyterLab
# extension from them into the wheel); a change to any of these rebuilds it.
inputs_hash() {
    {
        echo "$base"
        (cd "$repo" && find images/singleuser pyproject.toml hatch_build.py extensions catalogs \
            -type f ! -path '*/__pycache__/*' ! -path '*/node_modules/*' ! -name '*.pyc' \
            ! -path '*/.ipynb_checkpoints/*' ! -path 'extensions/labextension/build/*' \
            ! -path 'extensions/labextension/lib/*' -print0 | sort -z | xargs -0 sha256sum)
    } | sha256sum | cut -c1-16
}
hash="$(inputs_hash)"
current="$(docker image inspect --format '{{ index .Config.Labels "org.echoes.inputs" }}' \
    "$image" 2>/dev/null || true)"
if [ "$current" = "$hash" ]; then
    echo "==> image $image is up to date (inputs $hash), reused"
    exit 0
fi

if [ "$base" = "echoes/base:bookworm" ]; then
    "$here/build-base.sh" "$base"
fi

start=$SECONDS
context="$repo/build/images/singleuser"
rm -rf "$context"
mkdir -p "$context/wheels"
cp "$here"/singleuser/{Dockerfile,requirements.in,requirements.txt,test_image.py} "$context/"
# pip inside the build trusts what the host trusts (a TLS-inspecting proxy's CA, say).
ca=/etc/ssl/certs/ca-certificates.crt
if [ -f "$ca" ]; then cp "$ca" "$context/build-ca.crt"; else : >"$context/build-ca.crt"; fi
echo "==> building the echoes-vre wheel (and its JupyterLab extension)"
"$python" -m pip wheel --quiet --no-deps --wheel-dir "$context/wheels" "$repo" 2>&1 \
    | grep -v '^WARNING: Location' || true
ls "$context"/wheels/*.whl >/dev/null

echo "==> docker build $image on $base (a few minutes the first time, cached after)"
docker build --network host \
    --build-arg "BASE=$base" \
    --label "org.echoes.inputs=$hash" \
    --tag "$image" "$context"
size="$(docker image inspect --format '{{ .Size }}' "$image")"
echo "==> image $image built in $((SECONDS - start)) s, $((size / 1000000)) MB (inputs $hash)"
