#!/usr/bin/env python3
"""Benign: a script summarises CSV documents into a plain-text report, the everyday kind of
file a Python process writes into /tmp. Low entropy, no archive format.

usage: write-report.py SOURCE_DIR OUTPUT_FILE
"""
import csv
import os
import sys


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    source, output = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
    lines = ["Documents report", "================", ""]
    for name in sorted(os.listdir(source)):
        path = os.path.join(source, name)
        if not os.path.isfile(path):
            continue
        size = os.path.getsize(path)
        lines.append(f"{name}: {size} bytes")
        if name.endswith(".csv"):
            with open(path, newline="") as f:
                rows = [row for row in csv.reader(f) if row]
            lines.append(f"  rows: {len(rows)}, columns: {max((len(r) for r in rows), default=0)}")
            for row in rows:
                lines.append("  | " + " | ".join(cell.strip() for cell in row))
        lines.append("")
    with open(output, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {output} ({os.path.getsize(output)} bytes)")


if __name__ == "__main__":
    main()
