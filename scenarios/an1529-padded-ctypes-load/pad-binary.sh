#!/bin/sh
# Drops a padded copy of a real executable: the ELF still runs (the loader ignores bytes past
# its segments), but the file is now tens of MB, too big for many scanners and hash lookups.
# T1027.001 Binary Padding.
# usage: pad-binary.sh SOURCE_EXECUTABLE DESTINATION SIZE_MB random|zero
set -eu
source=${1:?usage: pad-binary.sh SOURCE DESTINATION SIZE_MB random|zero}
destination=${2:?}
size_mb=${3:?}
padding=${4:-random}

# Enterable by others: a different user runs or reads the drop afterwards.
mkdir -p -m 755 "$(dirname "$destination")"
cp "$source" "$destination"
missing=$(( size_mb * 1024 * 1024 - $(stat -c %s "$destination") ))
if [ "$missing" -gt 0 ]; then
  case $padding in
    random) head -c "$missing" /dev/urandom >>"$destination" ;;
    zero) head -c "$missing" /dev/zero >>"$destination" ;;
    *) echo "padding must be random or zero, got $padding" >&2; exit 2 ;;
  esac
fi
chmod 755 "$destination"
echo "dropped $destination: $(stat -c %s "$destination") bytes ($padding padding)"
