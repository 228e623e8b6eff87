#!/usr/bin/env bash
# Run bench.py rows on a lent GPU machine that has no network: install the carried wheels (bench/carry.sh, bench/gpu_env.sh), then one bench.py call per
# line of a rows file (its arguments after `python bench/bench.py`), each logged; results and logs go to $OUT.
#   bash bench/on_gpu.sh bench/rows/speed.txt <commit>
set -uo pipefail
rows=$1; commit=${2:-unknown}; out=${OUT:-/tmp/out}; mkdir -p "$out"
source bench/gpu_env.sh || exit 1
n=0
while IFS= read -r line; do
  [[ -z "$line" || "$line" == \#* ]] && continue
  n=$((n+1)); echo "=== row $n: $line"; start=$(date +%s); pkg=$PWD; c=$commit
  if [[ "$line" == @* ]]; then c=${line%% *}; c=${c#@}; line=${line#* }; pkg=$PWD/.base; fi  # "@<commit> args": that commit's package, in .base/
  PYTHONPATH=/tmp/site:$pkg eval "python3 bench/bench.py --work /tmp/work --commit $c $line" > "$out/row$n.log" 2>&1; rc=$?
  grep -v -E 'it/s\]|s/it\]|Warning|warn\(' "$out/row$n.log" | tail -4
  echo "=== row $n: rc $rc, $(( $(date +%s) - start )) s"; cp bench/results.jsonl "$out/results.jsonl"
done < "$rows"
