#!/bin/bash
# tar collects a folder, an inline Python filter XORs the stream with a random 256-byte key, and the
# shell's redirection writes the result: the custom method is only the filter.
# usage: pipe-xor.sh SOURCE_DIR OUTPUT_FILE
set -euo pipefail
source_dir=${1:?usage: pipe-xor.sh SOURCE_DIR OUTPUT_FILE}
output=${2:?usage: pipe-xor.sh SOURCE_DIR OUTPUT_FILE}
mkdir -p "$(dirname "$output")"
tar -C "$source_dir" -cf - . | python3 -c '
import os, sys
key = os.urandom(256)
data = sys.stdin.buffer.read()
stream = (key * (len(data) // len(key) + 1))[: len(data)]
sys.stdout.buffer.write((int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(len(data), "big"))
' >"$output"
echo "wrote $(stat -c %s "$output") bytes to $output"
