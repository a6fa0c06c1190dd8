#!/usr/bin/env bash
# A slow disk for the persist benches (root only): a 256 MB file as a loop device, ext4, mounted,
# with write requests to it throttled by the block layer to IOPS per second and, optionally, BPS
# bytes per second, so each fsync (a data write, then a journal commit) waits like on a slow SD card
# or a busy network volume, and a large write takes longer than a small one.
#
# The throttle is cgroup v1's blkio.throttle.write_iops_device on the root cgroup, which applies to
# every writer of that one device, the kernel's writeback and journal included (a v1 limit on a child
# cgroup would miss those). cgroup v2's io.max does the same from a child cgroup, where the io
# controller is on the unified hierarchy; where it is not (blkio bound to v1, as on this project's
# machine) this script uses v1. dm-delay (dmsetup) would add a fixed latency instead, but needs the
# kernel's device-mapper, which this machine's kernel lacks.
#
#   bench/support/slow-disk.sh up [IOPS=200] [BPS=0: none]   prints the folder to pass as --dir
#   bench/support/slow-disk.sh down
set -euo pipefail
BASE=${RELAYCAST_SLOW_DISK:-/tmp/relaycast-slow-disk}
IMG="$BASE.img"
MNT="$BASE.mnt"
THROTTLE=/sys/fs/cgroup/blkio/blkio.throttle.write_iops_device
THROTTLE_BPS=/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device

case "${1:-}" in
  up)
    IOPS=${2:-200}
    BPS=${3:-0}
    [ -w "$THROTTLE" ] || { echo "no cgroup v1 blkio throttle at $THROTTLE (need root and blkio on v1)" >&2; exit 1; }
    if ! mountpoint -q "$MNT" 2>/dev/null; then
      truncate -s 256M "$IMG"
      LOOP=$(losetup -f --show "$IMG")
      mkfs.ext4 -q "$LOOP"
      mkdir -p "$MNT"
      mount "$LOOP" "$MNT"
    fi
    LOOP=$(findmnt -n -o SOURCE "$MNT")
    DEV=$(lsblk -dn -o MAJ:MIN "$LOOP" | tr -d ' ')
    echo "$DEV $IOPS" > "$THROTTLE"
    echo "$DEV $BPS" > "$THROTTLE_BPS"
    echo "$MNT"
    ;;
  down)
    if mountpoint -q "$MNT" 2>/dev/null; then
      LOOP=$(findmnt -n -o SOURCE "$MNT")
      DEV=$(lsblk -dn -o MAJ:MIN "$LOOP" | tr -d ' ')
      echo "$DEV 0" > "$THROTTLE" || true
      echo "$DEV 0" > "$THROTTLE_BPS" || true
      umount "$MNT"
      losetup -d "$LOOP"
    fi
    rm -rf "$IMG" "$MNT"
    ;;
  *)
    echo "usage: $0 up [IOPS] | down" >&2
    exit 2
    ;;
esac
