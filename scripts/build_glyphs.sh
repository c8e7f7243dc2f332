#!/bin/sh
# SDF glyph ranges for the base map's labels (MapLibre "glyphs"), made once with fontnik
# from Debian's Noto Sans and checked in under webapp/static/glyphs/<font>/<start>-<end>.pbf.
#
#   apt-get install fonts-noto-core && sh scripts/build_glyphs.sh
#
# Only the ranges Latin-script names need (English, Indonesian, and the accented letters of
# European extracts): Basic Latin + Latin-1 and Latin Extended-A/B in regular (streets, water)
# and bold (places), and General Punctuation (dashes, quotes) in regular: about 500 kB. Any other range is answered with an empty glyph
# set by webapp/basemap.py, so a name in another script draws without those letters instead
# of failing. Needs node and npm (fontnik ships prebuilt binaries for linux-x64).
set -eu
FONTS=${FONTS:-/usr/share/fonts/truetype/noto}
OUT=$(cd "$(dirname "$0")/.." && pwd)/webapp/static/glyphs
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm install --silent --no-save fontnik@0.7.7 >/dev/null)
for spec in "NotoSans-Regular.ttf:noto-sans-regular:0 256 8192" "NotoSans-Bold.ttf:noto-sans-bold:0 256"; do
  ttf=${spec%%:*}
  rest=${spec#*:}
  name=${rest%%:*}
  ranges=${rest#*:}
  mkdir -p "$OUT/$name"
  (cd "$WORK" && node -e '
    const fs = require("fs"), fontnik = require("fontnik");
    const [ttf, out, ...starts] = process.argv.slice(1);
    const font = fs.readFileSync(ttf);
    for (const s of starts.map(Number)) {
      fontnik.range({font, start: s, end: s + 255}, (err, pbf) => {
        if (err) throw err;
        fs.writeFileSync(`${out}/${s}-${s + 255}.pbf`, pbf);
      });
    }' "$FONTS/$ttf" "$OUT/$name" $ranges)
done
du -sh "$OUT"
