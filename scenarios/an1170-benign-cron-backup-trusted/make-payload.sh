#!/bin/sh
# Writes SIZE of random bytes (incompressible, like an encrypted archive) to FILE.
# SIZE is what `head -c` takes: bytes, or with a K/M suffix (binary units).
# usage: make-payload.sh FILE SIZE
set -eu
file=${1:?usage: make-payload.sh FILE SIZE}
size=${2:?usage: make-payload.sh FILE SIZE}
mkdir -p "$(dirname "$file")"
head -c "$size" /dev/urandom >"$file"
echo "wrote $file: $(stat -c %s "$file") bytes"
