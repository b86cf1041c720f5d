#!/usr/bin/env python3
"""Collects every file of a folder into one blob and "encrypts" it with a repeating XOR key.

T1560.003 Archive via Custom Method: no zip, no tar, no library. The container format is the
attacker's own, the same in the Python, Perl and Bash variants of this scenario:
    b"XAR1"                                  plain magic, so the operator can recognise it
    XOR(key, for each file: name "\n" length "\n" data)
The key is random, key_length bytes, and never written to disk (printed for the "operator").

usage: xor-archive.py SOURCE_DIR OUTPUT_FILE KEY_LENGTH
"""
import os
import sys


def collect(source: str) -> bytes:
    body = bytearray()
    for name in sorted(os.listdir(source)):
        path = os.path.join(source, name)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        body += f"{name}\n{len(data)}\n".encode() + data
    return bytes(body)


def xor(data: bytes, key: bytes) -> bytes:
    # One big-integer XOR instead of a byte loop: fast even for megabytes.
    stream = (key * (len(data) // len(key) + 1))[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(len(data), "big")


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    source, output, key_length = sys.argv[1], sys.argv[2], int(sys.argv[3])
    body = collect(source)
    key = os.urandom(key_length)
    os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
    with open(output, "wb") as f:
        f.write(b"XAR1" + xor(body, key))
    print(f"archived {len(body)} bytes from {source} into {output} with a {key_length}-byte key {key[:8].hex()}...")


if __name__ == "__main__":
    main()
