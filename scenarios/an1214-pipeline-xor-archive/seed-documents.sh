#!/bin/sh
# Seeds a user's documents folder with plausible text, CSV and Markdown files, so that the
# archiving steps that follow have something to collect. All content is generated here.
# usage: seed-documents.sh DIR TOTAL_KB
set -eu
dir=${1:?usage: seed-documents.sh DIR TOTAL_KB}
total_kb=${2:?usage: seed-documents.sh DIR TOTAL_KB}
mkdir -p "$dir"

# Four files share the volume: meeting notes, a customer list, a budget, a project plan.
per_file=$(( total_kb * 1024 / 4 ))

fill() { # fill FILE LINE_GENERATOR: repeat generated lines until FILE holds per_file bytes
  : >"$1"
  i=0
  while [ "$(wc -c <"$1")" -lt "$per_file" ]; do
    "$2" "$i" >>"$1"
    i=$((i + 64))
  done
  truncate -s "$per_file" "$1"
}

notes() { seq "$1" $(($1 + 63)) | awk '{ printf "- %s: follow up with team %d on ticket #%d before the review.\n", (NR % 2 ? "Action" : "Note"), $1 % 7, 4000 + $1 }'; }
customers() { seq "$1" $(($1 + 63)) | awk '{ printf "%d,Customer %d,customer%d@example.com,%s,%d.%02d\n", $1, $1, $1, ($1 % 3 ? "active" : "churned"), ($1 * 37) % 900, $1 % 100 }'; }
budget() { seq "$1" $(($1 + 63)) | awk '{ printf "Q%d,%s,%d\n", $1 % 4 + 1, ($1 % 2 ? "travel" : "licences"), ($1 * 113) % 5000 }'; }
plan() { seq "$1" $(($1 + 63)) | awk '{ printf "## Milestone %d\n\nDeliver component %d and document its interfaces.\n\n", $1, $1 % 11 }'; }

fill "$dir/meeting-notes.txt" notes
fill "$dir/customers.csv" customers
fill "$dir/budget-2024.csv" budget
fill "$dir/project-plan.md" plan
echo "seeded $(ls "$dir" | wc -l) files, $(du -sk "$dir" | cut -f1) KB in $dir"
