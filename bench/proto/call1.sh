#!/bin/bash
# Issue 10, GPU call 1 on nvidia-h200-x2: captioning exploration on GPU 0, fast-preset training variants on GPU 1, side by side.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD:$PWD/.devshim PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
C=${COMMIT:-unknown}
W=/tmp/work; mkdir -p $W
nvidia-smi --query-gpu=name,memory.total --format=csv > $OUT/gpus.txt
python -c "import sys, pathlib; sys.path.insert(0, 'bench'); from bench import inputs; inputs(pathlib.Path('$W'))" > $OUT/setup.log 2>&1 || { tail -30 $OUT/setup.log; exit 1; }
(CUDA_VISIBLE_DEVICES=0 timeout 480 python bench/proto/proto_caption.py $W > $OUT/caption.log 2>&1) &
(export CUDA_VISIBLE_DEVICES=1
 timeout 160 python bench/bench.py --rows fast --steps 8 --warmup 3 --work $W --commit $C
 timeout 200 python bench/bench.py --rows fast --set compile=True --steps 8 --warmup 3 --work $W --commit $C
 timeout 150 python bench/bench.py --rows fast --set compile=True targets=text+projector --steps 8 --warmup 3 --work $W --commit $C
) > $OUT/train.log 2>&1 &
wait
cp bench/results.jsonl $OUT/results.jsonl
grep -h '^{' $OUT/caption.log $OUT/train.log
