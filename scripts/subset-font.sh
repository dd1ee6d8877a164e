#!/usr/bin/env bash
# Regenerates assets/fonts/DejaVuSans-subset.ttf, the font PNG text is set in
# (src/output/render/font.rs). Source: DejaVu Sans 2.37 from Debian's fonts-dejavu-core
# 2.37-6 (sha256 of DejaVuSans.ttf: abdc775b21b1bc470d50c97e790d276f2054b7504e56e5bd3e64f48d68582322).
# Needs fontTools (`pip install fonttools`); 4.68.0 gives sha256
# of the subset as recorded in assets/fonts/README.md. Usage:
#   apt-get download fonts-dejavu-core && dpkg-deb -x fonts-dejavu-core_*.deb deb
#   scripts/subset-font.sh deb/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
# The subset keeps Latin (ASCII, Latin-1, Latin Extended-A), Greek, general
# punctuation, super- and subscripts, the euro sign, letterlike symbols, arrows,
# mathematical operators, technical symbols, geometric shapes and U+FFFD (drawn for
# characters the font lacks); hinting and layout tables are dropped (the rasteriser
# uses neither).
set -euo pipefail
src=${1:?usage: $0 PATH/TO/DejaVuSans.ttf}
out=$(dirname "$0")/../assets/fonts/DejaVuSans-subset.ttf
pyftsubset "$src" \
  --unicodes="U+0020-007E,U+00A0-017F,U+0370-03FF,U+2000-206F,U+2070-209F,U+20AC,U+2100-214F,U+2190-21FF,U+2200-22FF,U+2300-23FF,U+25A0-25FF,U+FFFD" \
  --no-hinting --layout-features='' --drop-tables+=MATH,GDEF,GPOS,GSUB \
  --output-file="$out"
sha256sum "$out"
