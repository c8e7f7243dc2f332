#!/usr/bin/env bash
# Set up OSRM (the benchmark's reference router) and prepare OSM extracts for it.
#
#   scripts/osrm_setup.sh                 # download and unpack OSRM only
#   scripts/osrm_setup.sh FILE.osm.pbf    # ... and prepare FILE for the bicycle profile
#
# Debian has no OSRM package; the PyPI wheel `osrm-bindings` ships working
# osrm-extract / osrm-contract / osrm-routed binaries and OSRM's own profiles.
# We download the wheel with pip (for Python 3.12, manylinux_2_28_x86_64: only
# the binaries are used, so the local Python version does not matter), unzip it
# under .cache/osrm/ (gitignored) and run the bicycle profile's extract and
# contraction (CH) on the file. OSRM is a benchmark dependency only: bikemap
# never needs it.
#
# Prints the folder holding the OSRM binaries; with a file argument, then the
# path of the prepared `.osrm` data set (pass it to `osrm-routed`). Preparation
# is skipped when the data set for the same file content already exists.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OSRM_DIR="${BIKEMAP_OSRM_DIR:-$ROOT/.cache/osrm}"
PKG="$OSRM_DIR/pkg"
find_in_pkg() { find "$PKG" -name "$1" -type f 2>/dev/null | head -n 1; }

if [[ -z "$(find_in_pkg osrm-routed)" ]]; then
    mkdir -p "$OSRM_DIR/wheel" "$PKG"
    echo "downloading osrm-bindings (PyPI wheel) into $OSRM_DIR/wheel" >&2
    python -m pip download osrm-bindings --no-deps --only-binary=:all: \
        --python-version 3.12 --platform manylinux_2_28_x86_64 -d "$OSRM_DIR/wheel" >&2
    wheel="$(ls -t "$OSRM_DIR"/wheel/osrm_bindings-*.whl | head -n 1)"
    python -m zipfile -e "$wheel" "$PKG"
fi
BIN="$(dirname "$(find_in_pkg osrm-routed)")"
PROFILE="$(find_in_pkg bicycle.lua)"
for tool in osrm-extract osrm-contract osrm-routed; do
    [[ -f "$BIN/$tool" ]] || { echo "$tool not found in the osrm-bindings wheel" >&2; exit 2; }
    chmod +x "$BIN/$tool"
done
[[ -f "$PROFILE" ]] || { echo "bicycle.lua not found in the osrm-bindings wheel" >&2; exit 2; }
"$BIN/osrm-extract" --version >/dev/null || { echo "osrm-extract does not run on this machine" >&2; exit 2; }

echo "$BIN"
[[ $# -eq 0 ]] && exit 0

pbf="$(readlink -f "$1")"
[[ -f "$pbf" ]] || { echo "no such file: $1" >&2; exit 2; }
key="$(sha256sum "$pbf" | cut -c1-16)"
name="$(basename "$pbf" .osm.pbf)"
work="$OSRM_DIR/data/$name-$key"
base="$work/$name.osrm"
if [[ ! -f "$base.hsgr" ]]; then
    mkdir -p "$work"
    ln -sf "$pbf" "$work/$name.osm.pbf"
    echo "osrm-extract (bicycle.lua) $name" >&2
    "$BIN/osrm-extract" -p "$PROFILE" -t 2 "$work/$name.osm.pbf" >"$work/extract.log" 2>&1 \
        || { tail -n 20 "$work/extract.log" >&2; exit 2; }
    echo "osrm-contract $name" >&2
    "$BIN/osrm-contract" -t 2 "$base" >"$work/contract.log" 2>&1 \
        || { tail -n 20 "$work/contract.log" >&2; exit 2; }
fi
echo "$base"
