#!/bin/sh
# Sends FILE to HOST over TFTP (UDP 69, no authentication). With 512-byte blocks and a 16-bit
# block counter, TFTP moves at most 32 MB per file.
# usage: tftp-upload.sh FILE HOST
set -eu
file=${1:?usage: tftp-upload.sh FILE HOST}
host=${2:?usage: tftp-upload.sh FILE HOST}
tftp -m binary "$host" -c put "$file" "$(basename "$file")"
echo "sent $(stat -c %s "$file") bytes of $file to $host with tftp"
