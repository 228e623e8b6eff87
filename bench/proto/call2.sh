#!/bin/bash
# Issue 10, GPU call 2 (nvidia-h200-x2): ROWS=1 the one-GPU rows on GPU 0; ROWS=2 the two-GPU rows; one after the other, nothing beside them.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD:$PWD/.devshim PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
C=${COMMIT:-unknown}; W=/tmp/work; mkdir -p $W
nvidia-smi --query-gpu=name,memory.total --format=csv > $OUT/gpus.txt
python -c "import sys, pathlib; sys.path.insert(0, 'bench'); from bench import inputs; inputs(pathlib.Path('$W'))" > $OUT/setup.log 2>&1 || { tail -30 $OUT/setup.log; exit 1; }
B="python bench/bench.py --steps 10 --warmup 3 --work $W --commit $C"
T="torchrun --nproc_per_node 2 bench/bench.py --steps 10 --warmup 3 --work $W --commit $C"
if [ "$ROWS" = 1 ]; then (export CUDA_VISIBLE_DEVICES=0
  timeout 200 $B --rows captioning
  timeout 160 $B --rows paper-r8-literal paper-r8
  timeout 150 $B --rows fast
  timeout 120 $B --rows captioning --caption-compile
) 2>&1 | tee $OUT/rows1.log | grep -E '^\{|losses|Error|error' ; fi
if [ "$ROWS" = 2 ]; then (
  timeout 150 $B --rows paper-r8 --set compile=True
  timeout 150 $B --rows fast
  timeout 200 $T --rows fast
  timeout 120 $T --rows paper-r8 --set batch_size=4
  timeout 120 $T --rows captioning
) 2>&1 | tee $OUT/rows2.log | grep -E '^\{|losses|Error|error' ; fi

if [ "$ROWS" = 3 ]; then (
  timeout 170 $B --rows fast
  timeout 220 $T --rows fast
) 2>&1 | tee $OUT/rows3.log | grep -E '^\{|losses|Error|error' ; fi
cp bench/results.jsonl $OUT/results.jsonl
