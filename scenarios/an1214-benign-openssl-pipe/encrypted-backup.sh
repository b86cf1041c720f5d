#!/bin/bash
# An encrypted backup with standard tools: tar | gzip | openssl enc, redirected by the shell.
# -nosalt: openssl then writes no "Salted__" header, only ciphertext.
# usage: encrypted-backup.sh SOURCE_DIR OUTPUT_FILE
set -euo pipefail
source_dir=${1:?usage: encrypted-backup.sh SOURCE_DIR OUTPUT_FILE}
output=${2:?usage: encrypted-backup.sh SOURCE_DIR OUTPUT_FILE}
mkdir -p "$(dirname "$output")"
tar -C "$source_dir" -cf - . | gzip -1 |
  openssl enc -aes-256-cbc -nosalt -pbkdf2 -pass pass:backup-passphrase >"$output" 2>/dev/null
echo "wrote $(stat -c %s "$output") bytes to $output"
