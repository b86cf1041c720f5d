#!/bin/sh
# Sends FILE to HOST over TFTP (UDP 69, no authentication). With 512-byte blocks and a 16-bit
# block counter, TFTP moves at most 32 MB per file.
# usage: tftp-upload.sh FILE HOST
set -eu
file=${1:?usage: tftp-upload.sh FILE HOST}
host=${2:?usage: tftp-upload.sh FILE HOST}
# tftp-hpa exits 0 even when the server refuses the file or stops answering: it only says so.
reply=$(tftp -m binary "$host" -c put "$file" "$(basename "$file")" 2>&1) || true
[ -z "$reply" ] || printf '%s\n' "$reply"
case $reply in
  *Error* | *"timed out"* | *refused* | *unreachable*)
    echo "tftp upload to $host failed" >&2
    exit 1 ;;
esac
echo "sent $(stat -c %s "$file") bytes of $file to $host with tftp"
