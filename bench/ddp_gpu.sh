#!/usr/bin/env bash
# Issue 30, point 3: two GPUs against one with today's step (compiled layers, CUDA graphs, the flat 8-bit optimiser), on a
# lent machine with 2 GPUs and no network. Here, once: `bash bench/carry.sh` (the wheels that machine lacks). There, in the
# repository root with .whl carried:
#   bash bench/ddp_gpu.sh <commit> [part ...]      # parts: losses speed fast graphs captions (default: all, in this order);
#                                                  # each is two calls; losses1, losses2, ... name one of them alone
# - losses:   paper-r8 as shipped (8 a GPU) on 2 GPUs, every step's loss over 32 steps, and 1 GPU at the same effective batch (16)
# - speed:    paper-r8 as shipped on 1 GPU and on 2 (30 timed steps after 10)
# - fast:     fast on 1 GPU and on 2 (20 timed steps after 5)
# - graphs:   paper-r8 on 2 GPUs with the CUDA graphs kept under DDP (bench.py --ddp-graphs): its losses (against the
#             1-GPU row of `losses`) and its speed; decides whether riscm_paper.train.DDP_GRAPHS may be turned on
# - captions: 64 test images captioned zero-shot by the random base at 16 per call, on 1 GPU and split over 2
# Every call appends its row to bench/results.jsonl (bench.py's format), is logged to $OUT/<name>.log and is stopped after
# $CALL_TIMEOUT seconds (480 by default: a hang is a finding). The rows also go to $WORK/rows.jsonl (/tmp/ddpwork), so
# that parts run by separate calls on one warm machine are compared together; $OUT/results.jsonl is bench/results.jsonl
# with them, to commit. At the end
# `bench/ddp_gpu.py report` prints the loss comparison, the throughput ratios and the caption check (exit status 1 when
# one fails or lacks its rows).
set -uo pipefail
commit=${1:?usage: bash bench/ddp_gpu.sh <commit> [losses speed fast graphs captions]}; shift
parts=${*:-losses speed fast graphs captions}; timeout_s=${CALL_TIMEOUT:-480}
out=${OUT:-/tmp/out}; work=${WORK:-/tmp/ddpwork}; mkdir -p "$out" "$work"; touch "$work/rows.jsonl"
source bench/gpu_env.sh || exit 1
gpus=$(nvidia-smi -L | wc -l); [ "$gpus" -ge 2 ] || { echo "bench/ddp_gpu.sh needs 2 GPUs; this machine has $gpus"; exit 1; }
{ grep -vxF -f bench/results.jsonl "$work/rows.jsonl" || true; } >> bench/results.jsonl  # rows of earlier calls on this machine
port=29600
call() {  # call <name> <1|2 GPUs> <python script and its arguments>
  local name=$1 n=$2 start rc rows; shift 2; port=$((port + 1)); start=$(date +%s); rows=$(wc -l < bench/results.jsonl)
  if [ "$n" = 1 ]; then launch=(env CUDA_VISIBLE_DEVICES=0 python3)
  else launch=(env CUDA_VISIBLE_DEVICES=0,1 python3 -m torch.distributed.run --nproc_per_node 2 --master_addr 127.0.0.1 --master_port "$port"); fi
  echo "=== $name: ${launch[*]} $*"
  timeout "$timeout_s" "${launch[@]}" "$@" > "$out/$name.log" 2>&1; rc=$?
  grep -v -E 'it/s\]|s/it\]|Warning|warn\(' "$out/$name.log" | tail -3
  tail -n +$((rows + 1)) bench/results.jsonl >> "$work/rows.jsonl"; cp bench/results.jsonl "$out/results.jsonl"
  echo "=== $name: rc $rc, $(( $(date +%s) - start )) s"
}
bench=(bench/bench.py --work "$work" --commit "$commit" --profiled 0)
python3 bench/ddp_gpu.py prepare --work "$work" > "$out/prepare.log" 2>&1 || { tail "$out/prepare.log"; exit 1; }
for part in $(for p in $parts; do case $p in losses|speed|fast|graphs|captions) echo "${p}1 ${p}2";; *) echo "$p";; esac; done); do
  case $part in
    losses1)   call losses-1gpu 1 "${bench[@]}" --rows paper-r8 --steps 30 --warmup 2 --set logging_steps=1 batch_size=16 ;;
    losses2)   call losses-2gpu 2 "${bench[@]}" --rows paper-r8 --steps 30 --warmup 2 --set logging_steps=1 ;;
    speed1)    call speed-1gpu 1 "${bench[@]}" --rows paper-r8 --steps 30 --warmup 10 ;;
    speed2)    call speed-2gpu 2 "${bench[@]}" --rows paper-r8 --steps 30 --warmup 10 ;;
    fast1)     call fast-1gpu 1 "${bench[@]}" --rows fast --steps 20 --warmup 5 ;;
    fast2)     call fast-2gpu 2 "${bench[@]}" --rows fast --steps 20 --warmup 5 ;;
    graphs1)   call graphs-losses 2 "${bench[@]}" --rows paper-r8 --steps 30 --warmup 2 --set logging_steps=1 --ddp-graphs ;;
    graphs2)   call graphs-speed 2 "${bench[@]}" --rows paper-r8 --steps 30 --warmup 10 --ddp-graphs ;;
    captions1) rm -rf "$work/captions-1gpu"; call captions-1gpu 1 bench/ddp_gpu.py caption --work "$work" --folder "$work/captions-1gpu" ;;
    captions2) rm -rf "$work/captions-2gpu"; call captions-2gpu 2 bench/ddp_gpu.py caption --work "$work" --folder "$work/captions-2gpu" ;;
    *)         echo "unknown part $part (losses speed fast graphs captions, or one call of them: losses1 losses2 ...)"; exit 1 ;;
  esac
done
python3 bench/ddp_gpu.py report --commit "$commit" --work "$work" | tee "$out/report.txt"; exit "${PIPESTATUS[0]}"
