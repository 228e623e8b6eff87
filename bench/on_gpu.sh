#!/usr/bin/env bash
# Run bench.py rows on a lent GPU machine that has no network: install the carried wheels, then one bench.py call per
# line of a rows file (its arguments after `python bench/bench.py`), each logged; results and logs go to $OUT.
#   bash bench/on_gpu.sh bench/rows/speed.txt <commit>
set -uo pipefail
rows=$1; commit=${2:-unknown}; out=${OUT:-/tmp/out}; mkdir -p "$out"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
[ -f .whl/wordnet.tar.xz ] && mkdir -p /tmp/nltk && tar xJf .whl/wordnet.tar.xz -C /tmp/nltk && export RISCM_NLTK_DATA=/tmp/nltk/nltk_data
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; grep -m1 'model name' /proc/cpuinfo; nproc
PYTHONPATH=/tmp/site python3 -c "import torch, transformers, peft, bitsandbytes; print('torch', torch.__version__, 'transformers', transformers.__version__, 'peft', peft.__version__, 'bnb', bitsandbytes.__version__)"
n=0
while IFS= read -r line; do
  [[ -z "$line" || "$line" == \#* ]] && continue
  n=$((n+1)); echo "=== row $n: $line"; start=$(date +%s); pkg=$PWD; c=$commit
  if [[ "$line" == @* ]]; then c=${line%% *}; c=${c#@}; line=${line#* }; pkg=$PWD/.base; fi  # "@<commit> args": that commit's package, in .base/
  PYTHONPATH=/tmp/site:$pkg eval "python3 bench/bench.py --work /tmp/work --commit $c $line" > "$out/row$n.log" 2>&1; rc=$?
  grep -v -E 'it/s\]|s/it\]|Warning|warn\(' "$out/row$n.log" | tail -4
  echo "=== row $n: rc $rc, $(( $(date +%s) - start )) s"; cp bench/results.jsonl "$out/results.jsonl"
done < "$rows"
