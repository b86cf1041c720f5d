#!/bin/bash
# A symmetric-key encrypted backup: tar + gzip into a temp tarball, then gpg -c, whose output the
# shell redirects into the backup folder.
# usage: gpg-backup.sh SOURCE_DIR OUTPUT_FILE
set -euo pipefail
source_dir=${1:?usage: gpg-backup.sh SOURCE_DIR OUTPUT_FILE}
output=${2:?usage: gpg-backup.sh SOURCE_DIR OUTPUT_FILE}
home=$(dirname "$source_dir")
export GNUPGHOME="$home/.gnupg-backup"
mkdir -p -m 700 "$GNUPGHOME"
mkdir -p "$(dirname "$output")"
tarball=$(mktemp "$home/.backup-XXXXXX.tgz")
tar -C "$source_dir" -czf "$tarball" .
gpg --batch --quiet --pinentry-mode loopback --passphrase backup-passphrase -c -o - "$tarball" >"$output"
rm -f "$tarball"
gpgconf --kill gpg-agent 2>/dev/null || true
echo "wrote $(stat -c %s "$output") bytes to $output"
