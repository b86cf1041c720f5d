#!/usr/bin/env python3
"""Uploads (put) or downloads (get) one file over FTP with Python's ftplib, passive mode, as drop/drop.

usage: ftplib-transfer.py put|get LOCAL_FILE HOST
"""
import ftplib
import os
import sys


def main() -> None:
    if len(sys.argv) != 4 or sys.argv[1] not in ("put", "get"):
        sys.exit(__doc__.strip().splitlines()[-1])
    direction, local, host = sys.argv[1:]
    name = os.path.basename(local)
    with ftplib.FTP(host, timeout=30) as ftp:
        ftp.login("drop", "drop")
        ftp.set_pasv(True)
        if direction == "put":
            with open(local, "rb") as f:
                ftp.storbinary(f"STOR {name}", f, blocksize=64 * 1024)
            remote = ftp.size(name)
            if remote != os.path.getsize(local):
                sys.exit(f"upload not confirmed: the server reports {remote} bytes for {name}")
        else:
            with open(local, "wb") as f:
                ftp.retrbinary(f"RETR {name}", f.write, blocksize=64 * 1024)
    print(f"{direction} {name}: {os.path.getsize(local)} bytes with {host}")


if __name__ == "__main__":
    main()
