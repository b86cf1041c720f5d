#!/bin/sh
# Sends FILE to drop@HOST over scp with the user's own key, non-interactively: what a cron job
# planted for exfiltration (or a nightly backup) runs.
# usage: scp-upload.sh FILE HOST
set -eu
file=${1:?usage: scp-upload.sh FILE HOST}
host=${2:?usage: scp-upload.sh FILE HOST}
scp -q -o BatchMode=yes "$file" "drop@$host:"
echo "sent $(stat -c %s "$file") bytes of $file to $host with scp"
