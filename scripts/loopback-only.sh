#!/usr/bin/env bash
# Runs a command in a fresh network namespace whose only interface is loopback, so that WebRTC
# (which gathers candidates on every interface, and answers peer-reflexive ones) can reach nothing
# but 127.0.0.1 and ::1. Used for the browser swarm specs and the swarm benchmark.
#   bash scripts/loopback-only.sh <command> [args…]
set -euo pipefail
if [ "$#" -eq 0 ]; then
  echo "usage: bash scripts/loopback-only.sh <command> [args…]" >&2
  exit 2
fi
if ! command -v unshare >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then
  echo "loopback-only: needs unshare (util-linux) and ip (iproute2): apt-get install -y util-linux iproute2" >&2
  exit 1
fi
if ! unshare --net true 2>/dev/null; then
  echo "loopback-only: cannot create a network namespace here (needs root or CAP_SYS_ADMIN); run the WebRTC specs as root: sudo bash scripts/loopback-only.sh $*" >&2
  exit 1
fi
exec unshare --net -- bash -c 'ip link set lo up && export RELAYCAST_LOOPBACK_ONLY=1 && exec "$@"' loopback-only "$@"
