#!/usr/bin/env bash
# One report on a machine's GPU, for BENCHMARKS.md or for comparing GPUs: the adapter,
# `oncolattice bench` on the GPU (large: 2D 1024², 3D 128³ and 256³) and on the CPU
# (medium), the peer workloads on the GPU, many small scenes packed onto the GPU
# (`bench --batch`), and the GPU kernel tests when their binary
# is given. Each part writes its own file, and a failing part does not stop the rest.
#
#   scripts/gpu-report.sh OUT_DIR [ONCOLATTICE_BINARY] [GPU_KERNELS_TEST_BINARY]
#
# With a Rust toolchain: `cargo build --release`, then
#   scripts/gpu-report.sh gpu-report target/release/oncolattice \
#       "$(ls target/release/deps/gpu_kernels-* | grep -v '\.d$' | head -1)"
# SIZE=small and REPEATS=N override the GPU problem size (default large) and repeats
# (9); QUICK_PEERS=1 shortens the peer workloads, QUICK_BATCH=1 the batch figures.
set -u
out=${1:?usage: scripts/gpu-report.sh OUT_DIR [ONCOLATTICE_BINARY] [GPU_KERNELS_TEST_BINARY]}
bin=${2:-target/release/oncolattice}
tests=${3:-}
size=${SIZE:-large}
repeats=${REPEATS:-9}
mkdir -p "$out"
status=0
part() {
    local name=$1
    shift
    local t0=$SECONDS
    if "$@" >"$out/$name.txt" 2>&1; then
        echo "$name: ok ($((SECONDS - t0)) s)"
    else
        echo "$name: FAILED with exit $? ($((SECONDS - t0)) s), see $out/$name.txt"
        status=1
    fi
}
part info "$bin" info
part bench-gpu "$bin" bench --backend gpu --size "$size" --repeats "$repeats" --json "$out/bench-gpu.json"
part bench-cpu "$bin" bench --backend cpu --size medium --repeats 5 --json "$out/bench-cpu.json"
part peers-gpu "$bin" bench --backend gpu --peers ${QUICK_PEERS:+--quick}
# Many small scenes packed onto the GPU: scene-ticks/s for K = 1 … 1000 and virtual
# patients per GPU-hour (issue 13).
part batch-gpu "$bin" bench --backend gpu --batch ${QUICK_BATCH:+--quick} --json "$out/batch-gpu.json"
if [ -n "$tests" ]; then
    part gpu-kernel-tests "$tests" --test-threads 1
fi
exit $status
