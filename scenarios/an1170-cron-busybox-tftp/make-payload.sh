#!/bin/sh
# Writes SIZE bytes of a fake customer export (CSV text) to FILE: the volume an exfiltration moves.
# Text, not random bytes, so that staging the data does not itself look like a custom archive
# (AN1214): this scenario is about the transfer.
# SIZE is what `truncate -s` takes: bytes, or with a K/M suffix (binary units).
# usage: make-payload.sh FILE SIZE
set -eu
file=${1:?usage: make-payload.sh FILE SIZE}
size=${2:?usage: make-payload.sh FILE SIZE}
bytes=$(numfmt --from=iec "$size")
mkdir -p "$(dirname "$file")"
awk 'BEGIN { srand(7); print "id,customer,iban,amount,date";
  for (i = 1; i <= 1500; i++)
    printf "%d,customer-%05d,DE%020d,%d.%02d,2026-11-%02d\n", i, rand() * 99999, rand() * 1e15, rand() * 10000, rand() * 100, 1 + rand() * 27 }' >"$file"
# Double the file until it is big enough, then cut it to the exact size.
while [ "$(stat -c %s "$file")" -lt "$bytes" ]; do
  cat "$file" "$file" >"$file.tmp" && mv "$file.tmp" "$file"
done
truncate -s "$bytes" "$file"
echo "wrote $file: $(stat -c %s "$file") bytes"
