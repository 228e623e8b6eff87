#!/bin/bash
# Issue 10, GPU call of 2026-12-01 (nvidia-h200, the session's last ~5 device-minutes): paper-r8 alone, 30 timed steps
# (the batch-8 rows varied by ~20 % over 10 steps), to settle the >= 25 samples/s at <= 24 GiB target.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
C=${COMMIT:-unknown}; W=/tmp/work; mkdir -p $W
nvidia-smi --query-gpu=name,memory.total --format=csv > $OUT/gpus.txt
(timeout 210 python bench/bench.py --rows paper-r8 --steps 30 --warmup 3 --work $W --commit $C) 2>&1 | tee $OUT/row.log | grep -E '^\{|losses|Error|error|\|'
cp bench/results.jsonl $OUT/results.jsonl
