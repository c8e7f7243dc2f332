#!/usr/bin/env bash
# Write constraints.txt: the exact versions of every package that `pip install -e '.[test]'` picks today,
# resolved in a new virtual environment with no constraints. Run it when pyproject.toml's dependencies
# change or to take newer releases, then run ./dev test: commit constraints.txt only when it passes.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${PYTHON:-python3}" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q -e '.[test,docs,bench]'
{
  echo "# Versions the test suite passed with; written by scripts/update_constraints.sh (pip install -c constraints.txt)."
  "$tmp/venv/bin/python" -m pip freeze --exclude-editable | grep -v '^bikemap'
} >constraints.txt
echo "wrote constraints.txt ($(grep -vc '^#' constraints.txt) packages)" >&2
