#!/usr/bin/env bash
# The batch benchmark: runs benches/batch/cohort-100.toml (8 runs of a 100 × 100
# treatment scene) with --jobs 1 and --jobs 2, alternating, REPEATS times each, and
# prints for each setting the median batch wall time, runs per hour, and the per-run
# overhead of a batch (a run's wall time beside its tick loop: set-up, initial solve,
# final outputs and teardown, from each run's performance.json).
#
#   scripts/bench-batch.sh [REPEATS] [BINARY]     (defaults: 3, target/release/oncolattice)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
bin=${2:-target/release/oncolattice}
[ -x "$bin" ] || { echo "bench-batch: build first (cargo build --release)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for r in $(seq 1 "$repeats"); do
    for jobs in 1 2; do
        out="$work/j$jobs-r$r"
        start=$(date +%s.%N)
        "$bin" batch benches/batch/cohort-100.toml --out "$out" --backend cpu --jobs "$jobs" --quiet
        end=$(date +%s.%N)
        echo "$jobs $r $start $end" >> "$work/times"
    done
done
python3 - "$work" <<'PY'
import glob, json, statistics, sys
work = sys.argv[1]
rows = [l.split() for l in open(f"{work}/times")]
runs = 8
for jobs in ("1", "2"):
    walls = [float(e) - float(s) for j, _, s, e in rows if j == jobs]
    over, loop, wall = [], [], []
    for p in glob.glob(f"{work}/j{jobs}-r*/runs/*/performance.json"):
        d = json.load(open(p))
        over.append(d["wall_seconds"] - d["loop_seconds"])
        loop.append(d["loop_seconds"])
        wall.append(d["wall_seconds"])
    m = statistics.median(walls)
    # What the batch costs beside its runs (expansion and checks, records, summary,
    # process start), per run: the batch's wall time less its runs' own, spread over
    # the runs (with --jobs 2 the runs overlap, so this is for --jobs 1 only).
    beside = []
    for (j, r, s, e) in rows:
        if j != jobs:
            continue
        own = sum(json.load(open(p))["wall_seconds"]
                  for p in glob.glob(f"{work}/j{j}-r{r}/runs/*/performance.json"))
        beside.append(((float(e) - float(s)) - own) / runs)
    extra = f", batch beside its runs {statistics.median(beside) * 1000:.0f} ms per run" if jobs == "1" else ""
    print(f"--jobs {jobs}: batch wall median {m:.1f} s (of {', '.join(f'{w:.1f}' for w in walls)}), "
          f"{3600 * runs / m:.0f} runs/h; per run: wall median {statistics.median(wall):.2f} s, "
          f"tick loop {statistics.median(loop):.2f} s, outside the loop {statistics.median(over):.2f} s{extra}")
PY
