#!/bin/sh
# Sends FILE to drop@NAME over scp, after checking that NAME resolves to ADDRESS (the backup host
# the scenario named in /etc/hosts): the command line names the host, never its address.
# usage: scp-by-name.sh FILE NAME ADDRESS
set -eu
file=${1:?usage: scp-by-name.sh FILE NAME ADDRESS}
name=${2:?usage: scp-by-name.sh FILE NAME ADDRESS}
address=${3:?usage: scp-by-name.sh FILE NAME ADDRESS}
resolved=$(getent hosts "$name" | awk '{ print $1; exit }')
if [ "$resolved" != "$address" ]; then
  echo "$name resolves to '${resolved:-nothing}', not to the backup host $address" >&2
  exit 1
fi
scp -q -o BatchMode=yes "$file" "drop@$name:"
echo "sent $(stat -c %s "$file") bytes of $file to $name ($address) with scp"
