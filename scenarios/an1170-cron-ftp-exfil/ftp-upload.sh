#!/bin/sh
# Sends FILE to HOST over plain FTP (passive mode, account drop/drop), scripted through the
# ftp client's stdin as a cron job would: no terminal, no prompts.
# usage: ftp-upload.sh FILE HOST
set -eu
file=${1:?usage: ftp-upload.sh FILE HOST}
host=${2:?usage: ftp-upload.sh FILE HOST}
# -n: no auto-login (the script logs in), -p: passive mode (the victim opens the data connection).
ftp -n -p "$host" <<EOF_FTP
user drop drop
binary
put $file $(basename "$file")
quit
EOF_FTP
echo "sent $(stat -c %s "$file") bytes of $file to $host with ftp"
