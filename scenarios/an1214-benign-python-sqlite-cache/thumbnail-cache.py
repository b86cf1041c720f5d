#!/usr/bin/env python3
"""Stores COUNT thumbnails (6 KB of compressed-looking image data each) in a SQLite cache.

usage: thumbnail-cache.py DATABASE COUNT
"""
import os
import sqlite3
import sys


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    database, count = sys.argv[1], int(sys.argv[2])
    os.makedirs(os.path.dirname(database), exist_ok=True)
    if os.path.exists(database):
        os.remove(database)
    db = sqlite3.connect(database)
    db.execute("CREATE TABLE thumbnails (path TEXT PRIMARY KEY, width INTEGER, height INTEGER, jpeg BLOB)")
    # JPEG data is compressed: as random as the bytes stored here.
    rows = ((f"/home/alice/Pictures/IMG_{i:04d}.jpg", 160, 120, os.urandom(6000)) for i in range(count))
    db.executemany("INSERT INTO thumbnails VALUES (?, ?, ?, ?)", rows)
    db.commit()
    db.close()
    print(f"cached {count} thumbnails in {database} ({os.path.getsize(database)} bytes)")


if __name__ == "__main__":
    main()
