#!/usr/bin/env bash
# Every notebook's test cells on a lent GPU machine, as Colab's "Run all" would run them on a GPU runtime; the log goes to
# $OUT/gpu_cells.log. Here, once: bash bench/carry.sh. There (the device call, carrying .whl):
#   bash bench/gpu_cells.sh [run_gpu_cells.py arguments]        (default: --cells all --keep-going --timeout 240 nbs/*.ipynb)
set -uo pipefail
cd "$(dirname "$0")/.."
source bench/gpu_env.sh || exit 1
out=${OUT:-/tmp/out}; mkdir -p "$out"
[ $# -gt 0 ] || set -- --cells all --keep-going --timeout 240 nbs/*.ipynb
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; grep -m1 'model name' /proc/cpuinfo; echo "cores: $(nproc)"; } > "$out/gpu_cells.log"  # the card and host first
python3 bench/run_gpu_cells.py "$@" 2>&1 | tee -a "$out/gpu_cells.log"
