#!/usr/bin/env bash
# Bootstraps the purple base rootfs and writes it as a tarball for `docker import`.
#   build-rootfs.sh OUT.tar DEB_CACHE_DIR
# Package list: packages.txt next to this script; suite and mirror: suite.env.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$1"
deb_cache="$2"
# shellcheck source=suite.env
. "$here/suite.env"

packages="$(grep -v '^\s*#' "$here/packages.txt" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')"
work="$(mktemp -d "${out%/*}/rootfs.XXXXXX")"
trap 'rm -rf "$work" "$out.partial"' EXIT
mkdir -p "$deb_cache"

debootstrap --variant="$VARIANT" --include="$packages" --cache-dir="$deb_cache" \
  "$SUITE" "$work/root" "$MIRROR"

echo "I: Trimming docs, man pages, locales, apt lists and ssh host keys"
root="$work/root"
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
  "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
  "$root"/var/cache/debconf/*-old "$root"/var/log/*.log "$root"/var/log/apt/* \
  "$root"/etc/ssh/ssh_host_*
find "$root"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +
# The host's resolver and hostname must not leak into the image; docker provides both at run time.
: >"$root/etc/resolv.conf"
: >"$root/etc/hostname"

echo "I: Packing rootfs ($(du -sh "$root" | cut -f1))"
tar --numeric-owner --xattrs -C "$root" -cf "$out.partial" .
mv "$out.partial" "$out"
