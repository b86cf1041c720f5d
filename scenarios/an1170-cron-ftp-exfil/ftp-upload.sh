#!/bin/sh
# Sends FILE to HOST over plain FTP (passive mode, account drop/drop), scripted through the
# ftp client's stdin as a cron job would: no terminal, no prompts.
# usage: ftp-upload.sh FILE HOST
set -eu
file=${1:?usage: ftp-upload.sh FILE HOST}
host=${2:?usage: ftp-upload.sh FILE HOST}
name=$(basename "$file")
bytes=$(stat -c %s "$file")
# -n: no auto-login (the script logs in), -p: passive mode (the victim opens the data connection).
# The ftp client exits 0 even when the login or the upload fails: ask the server for the
# uploaded size afterwards and fail unless it is the whole file.
reply=$(ftp -n -p "$host" 2>&1 <<EOF_FTP
user drop drop
binary
put $file $name
size $name
quit
EOF_FTP
)
printf '%s\n' "$reply"
if ! printf '%s\n' "$reply" | grep -q "^$name[[:space:]]*$bytes\$"; then
  echo "upload to $host not confirmed: the server does not report $name at $bytes bytes" >&2
  exit 1
fi
echo "sent $bytes bytes of $file to $host with ftp"
