#!/usr/bin/env bash
# Build a Debian base image with no container registry: debootstrap a minimal
# bookworm into a folder, then `docker import` it. Reused when the image exists.
# Usage: images/build-base.sh [IMAGE]   (default echoes/base:bookworm)
set -euo pipefail

image="${1:-echoes/base:bookworm}"
suite="${DEBIAN_SUITE:-bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$image" >/dev/null 2>&1; then
    echo "==> base image $image exists, reused"
    exit 0
fi

if ! command -v debootstrap >/dev/null; then
    if [ "$(id -u)" != 0 ]; then
        echo "build-base: debootstrap is missing; install it (apt-get install debootstrap)" >&2
        exit 1
    fi
    echo "==> installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

rootfs="$(mktemp -d "${TMPDIR:-/tmp}/echoes-rootfs.XXXXXX")"
trap 'rm -rf "$rootfs"' EXIT
start=$SECONDS
echo "==> debootstrap --variant=minbase $suite into $rootfs (about half a minute)"
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
    tail -20 "$rootfs.log" >&2
    exit 1
}
rm -f "$rootfs.log"
# Keep the image small: no package lists or caches from the bootstrap.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
echo "==> docker import as $image"
tar -C "$rootfs" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    - "$image" >/dev/null
echo "==> base image $image built in $((SECONDS - start)) s"
