"""GPU baseline for `paper-r8`: samples/s and peak memory through `riscm_paper.train.train`.

The full-size PaliGemma-3B-224 architecture (`paligemma_3b_config()`) with random weights (no real weights exist
offline) is saved, then trained by exactly the code a researcher runs: `train(Preset.load('paper-r8', ...))`, i.e.
NF4 base, LoRA r=8 on the paper's targets, micro-batch 2 x accumulation 4, adamw_8bit, bf16, gradient checkpointing,
HF Trainer and `CaptionCollator` on 224x224 RISC-layout images (the embedded demo set). The processor is a tiny BPE
padded to the real 257,216-entry vocabulary, so batches have the real structure (256 image tokens + prompt +
caption); its `<image>` id differs from the real checkpoint's, which changes no parameter count or cost.

Run on a GPU:  python bench/bench_train.py --steps 24 --warmup 4
"""
import argparse, json, time, tempfile
from pathlib import Path

import torch
from transformers import TrainerCallback

from riscm_paper.config import Preset, plan
from riscm_paper.data import load_riscm
from riscm_paper.demo import make_demo_riscm
from riscm_paper.model import paligemma_3b_config, save_random_checkpoint, tiny_processor
from riscm_paper.train import train


class StepTimer(TrainerCallback):
    "Wall time of each optimiser step after `warmup` steps, and the peak GPU memory over them."
    def __init__(self, warmup:int): self.warmup, self.times, self.t = warmup, [], None
    def on_step_begin(self, args, state, control, **kw):
        if state.global_step == self.warmup: torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
        if state.global_step >= self.warmup: torch.cuda.synchronize(); self.t = time.perf_counter()
    def on_step_end(self, args, state, control, **kw):
        if self.t is not None: torch.cuda.synchronize(); self.times.append(time.perf_counter() - self.t); self.t = None


def full_size_base(dest:Path, captions:list) -> Path:
    "Random-weight PaliGemma-3B-224 plus a processor whose vocabulary has the real size, saved to `dest`."
    if (dest/'config.json').exists(): return dest
    proc = tiny_processor(captions, image_size=224, patch=14, vocab_total=257_216)
    cfg = paligemma_3b_config()
    cfg.image_token_index = proc.image_token_id
    save_random_checkpoint(dest, cfg)
    proc.save_pretrained(dest)
    return dest


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--steps', type=int, default=24, help='timed optimiser steps')
    ap.add_argument('--warmup', type=int, default=4, help='untimed optimiser steps first')
    ap.add_argument('--preset', default='paper-r8')
    ap.add_argument('--work', default=None, help='scratch folder (default: a temp dir)')
    ap.add_argument('--json', default=None, help='also write the figures here')
    a = ap.parse_args()
    assert torch.cuda.is_available(), 'this benchmark needs a CUDA GPU'
    work = Path(a.work or tempfile.mkdtemp())
    data = make_demo_riscm(work/'data', n_images=400, seed=0)
    caps = [c for cs in load_riscm(data).captions for c in cs]
    t0 = time.perf_counter(); base = full_size_base(work/'base-3b', caps); build_s = time.perf_counter() - t0
    p = Preset.load(a.preset, model=str(base), max_steps=a.warmup + a.steps, save_steps=10_000, report_to='none')
    timer = StepTimer(a.warmup)
    t0 = time.perf_counter(); train(p, data, work/'run', callbacks=[timer]); run_s = time.perf_counter() - t0
    ts = sorted(timer.times); med = ts[len(ts)//2]
    res = dict(card=torch.cuda.get_device_name(0), preset=a.preset, micro_batch=p.batch_size, grad_accum=p.grad_accum,
               effective_batch=p.effective_batch, timed_steps=len(ts), step_s_median=med, step_s_mean=sum(ts)/len(ts),
               samples_per_s=p.effective_batch/med, peak_alloc_gib=torch.cuda.max_memory_allocated()/2**30,
               peak_reserved_gib=torch.cuda.max_memory_reserved()/2**30, build_base_s=build_s, train_call_s=run_s,
               torch=torch.__version__, gradient_checkpointing=p.gradient_checkpointing, optim=p.optim, quant=p.quant)
    hrs = plan(Preset.load(a.preset), 35_617)['total_steps']*med/3600  # the paper split's 35,617 training images
    print('\n| card | preset | micro x accum | s/step (median) | samples/s | peak alloc GiB | peak reserved GiB | est. 8,906 steps |')
    print('|---|---|---|---|---|---|---|---|')
    print(f"| {res['card']} | {a.preset} | {p.batch_size} x {p.grad_accum} | {med:.3f} | {res['samples_per_s']:.2f} | "
          f"{res['peak_alloc_gib']:.2f} | {res['peak_reserved_gib']:.2f} | {hrs:.1f} h |")
    if a.json: Path(a.json).write_text(json.dumps(res, indent=2))
    return res


if __name__ == '__main__': main()
