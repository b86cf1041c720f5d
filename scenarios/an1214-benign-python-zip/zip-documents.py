#!/usr/bin/env python3
"""Benign: a user zips her documents with the standard library (deflate), as any backup or
"send me the files" request does. Standard format, standard magic (PK\\x03\\x04).

usage: zip-documents.py SOURCE_DIR OUTPUT_FILE
"""
import os
import sys
import zipfile


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    source, output = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(os.listdir(source)):
            path = os.path.join(source, name)
            if os.path.isfile(path):
                archive.write(path, arcname=os.path.join("Documents", name))
    print(f"zipped {source} into {output} ({os.path.getsize(output)} bytes)")


if __name__ == "__main__":
    main()
