#!/bin/bash
# Collects every file of a folder into one blob and "encrypts" it with a repeating XOR key,
# in nothing but bash arithmetic (od reads the bytes, printf writes them back).
#
# T1560.003 Archive via Custom Method. The container format is the attacker's own, the same
# in the Python, Perl and Bash variants of this scenario:
#     "XAR1"                                   plain magic, so the operator can recognise it
#     XOR(key, for each file: name "\n" length "\n" data)
# Bash is slow per byte, so the scenario keeps the documents small (<= 64 KB).
#
# usage: xor-archive.sh SOURCE_DIR OUTPUT_FILE KEY_LENGTH
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: xor-archive.sh SOURCE_DIR OUTPUT_FILE KEY_LENGTH" >&2; exit 2; }
source_dir=$1 output=$2 key_length=$3

# The plain body as decimal byte values.
body() {
  local f
  for f in "$source_dir"/*; do
    [ -f "$f" ] || continue
    printf '%s\n%d\n' "${f##*/}" "$(stat -c %s "$f")"
    cat "$f"
  done
}
read -r -d '' -a plain < <(body | od -An -v -tu1) || true
read -r -d '' -a key < <(od -An -v -tu1 -N "$key_length" /dev/urandom) || true

# printf escapes for every byte value, built once.
escape=()
for ((b = 0; b < 256; b++)); do printf -v 'escape[b]' '\\%03o' "$b"; done

mkdir -p "$(dirname "$output")"
printf 'XAR1' >"$output"
chunk=''
n=${#plain[@]}
for ((i = 0; i < n; i++)); do
  chunk+=${escape[plain[i] ^ key[i % key_length]]}
  if ((i % 4096 == 4095)); then
    printf "$chunk" >>"$output"
    chunk=''
  fi
done
printf "$chunk" >>"$output"
echo "archived $n bytes from $source_dir into $output with a $key_length-byte key"
