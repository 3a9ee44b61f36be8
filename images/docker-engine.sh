#!/usr/bin/env bash
# Make sure a Docker engine answers (make docker-engine). If none does and we are
# root: install Debian's docker.io when dockerd is missing, start dockerd in the
# background (log in $ECHOES_DOCKERD_LOG) and wait until `docker info` answers.
# Not root and no engine: say so and exit 0 (container tests skip, outside CI).
set -euo pipefail
log="${ECHOES_DOCKERD_LOG:-/var/log/echoes-dockerd.log}"

if docker info >/dev/null 2>&1; then
    echo "==> a Docker engine answers: $(docker info --format '{{ .ServerVersion }}' 2>/dev/null)"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "==> no Docker engine answers and not root: container tests will not run"
    [ "${CI:-}" = "true" ] && { echo "docker-engine.sh: CI needs a Docker engine" >&2; exit 1; }
    exit 0
fi
if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    echo "==> installing Debian's docker.io (and debootstrap for the base image)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
        docker.io debootstrap >/dev/null
fi
pidfile=/var/run/docker.pid
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "==> dockerd (pid $(cat "$pidfile")) is already starting, waiting for it"
else
    # A dockerd that was killed (end of a session, say) leaves its pid file behind.
    rm -f "$pidfile"
    echo "==> starting dockerd in the background (log: $log)"
    mkdir -p "$(dirname "$log")"
    setsid nohup dockerd >>"$log" 2>&1 </dev/null &
fi
for _ in $(seq 60); do
    if docker info >/dev/null 2>&1; then
        echo "==> Docker engine $(docker info --format '{{ .ServerVersion }}') answers"
        exit 0
    fi
    sleep 1
done
echo "docker-engine.sh: dockerd did not answer within 60 s; last lines of $log:" >&2
tail -20 "$log" >&2
exit 1
