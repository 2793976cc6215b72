#!/usr/bin/env bash
# Build (once) a minimal Debian-unstable root filesystem holding Asterisk 22.
# Debian 12 has no Asterisk package; unstable carries the 22 LTS series.
# The tree is cached outside the work tree, keyed by a version stamp, so a
# second run is instant. Prints the root filesystem path on stdout.
set -euo pipefail

CACHE_DIR="${YHT_ROOTFS_CACHE:-/var/cache/yihaotong}"
PACKAGES="asterisk,asterisk-modules,python3-minimal,python3-redis,python3-six,ca-certificates"
# Bump STAMP_VERSION when the recipe changes; the package list is part of it.
STAMP_VERSION=1
STAMP="$(printf '%s|%s' "$STAMP_VERSION" "$PACKAGES" | sha256sum | cut -c1-12)"
ROOTFS="$CACHE_DIR/asterisk-rootfs-$STAMP"

if [[ -f "$ROOTFS/.yht-complete" ]]; then
    echo "$ROOTFS"
    exit 0
fi

if [[ $EUID -ne 0 ]]; then
    echo "asterisk-rootfs: building the root filesystem needs root (debootstrap, chroot)" >&2
    exit 1
fi
if ! command -v debootstrap >/dev/null; then
    echo "asterisk-rootfs: installing debootstrap" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
fi

mkdir -p "$CACHE_DIR"
WORK="$ROOTFS.partial.$$"
rm -rf "$WORK"
trap 'rm -rf "$WORK"' EXIT
echo "asterisk-rootfs: debootstrap unstable into $WORK (about a minute)" >&2
debootstrap --variant=minbase --include="$PACKAGES" unstable "$WORK" >&2
# Nothing inside the chroot should start services on its own.
rm -f "$WORK"/var/cache/apt/archives/*.deb
"$WORK"/usr/sbin/asterisk -V >/dev/null 2>&1 || chroot "$WORK" /usr/sbin/asterisk -V >&2
touch "$WORK/.yht-complete"
rm -rf "$ROOTFS"
mv "$WORK" "$ROOTFS"
trap - EXIT
echo "$ROOTFS"
