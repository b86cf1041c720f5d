#!/bin/sh
# Splits FILE into CHUNK_MB pieces and sends each to drop@HOST with its own scp run.
# usage: scp-chunks.sh FILE HOST CHUNK_MB
set -eu
file=${1:?usage: scp-chunks.sh FILE HOST CHUNK_MB}
host=${2:?usage: scp-chunks.sh FILE HOST CHUNK_MB}
chunk_mb=${3:?usage: scp-chunks.sh FILE HOST CHUNK_MB}
pieces=$(dirname "$file")/pieces
rm -rf "$pieces" && mkdir -p "$pieces"
split -b "${chunk_mb}M" "$file" "$pieces/part-"
for piece in "$pieces"/part-*; do
  scp -q -o BatchMode=yes "$piece" "drop@$host:"
done
echo "sent $(ls "$pieces" | wc -l) pieces of $file to $host"
rm -rf "$pieces"
