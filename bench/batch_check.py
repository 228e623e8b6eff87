"""Batch sizes chosen inside one `reproduce` process, against a fresh process (issue 25, item 6).

`fit_batch` (the fast twin's micro-batch) and `eval_batch_size=0` (captioning) size their batches from the memory
this process can still allocate (`riscm_paper.config.gpu_free_bytes`: the driver's free memory plus what PyTorch's
allocator holds unused), and `reproduce` empties the allocator's cache between stages. This script checks that on a
GPU: it runs `reproduce('paper', fast_study=True)` on the full-size PaliGemma-3B architecture with random weights and
the synthetic data (no network; `--steps` a rank), records every batch size the process chose, and then, for each,
starts a fresh process that loads the same model and chooses again. It prints one JSON line per choice and exits with
status 1 when one differs. On a CPU it runs the demo instead, which checks only its own plumbing (nothing is sized).

    python bench/batch_check.py            # on a GPU machine, from the repository's root
"""
import json, subprocess, sys, tempfile
from pathlib import Path

import torch
import riscm_paper.evaluation as ev
import riscm_paper.train as tr
from riscm_paper.cli import call_parse
from riscm_paper.config import gpu_free_bytes
from riscm_paper.data import load_riscm
from riscm_paper.demo import make_demo_riscm
from riscm_paper.model import full_size_checkpoint
from riscm_paper.pipeline import reproduce

FRESH_TRAIN = """import json, sys
from riscm_paper.config import Preset, fit_micro_batch
from riscm_paper.train import gpu_free_gib
p = fit_micro_batch(Preset.load(sys.argv[1]), gpu_free_gib())
print(json.dumps(dict(batch=p.batch_size, grad_accum=p.grad_accum)))"""

FRESH_CAPTION = """import json, sys
from riscm_paper.evaluation import auto_batch_size, load_for_eval
m, _ = load_for_eval(sys.argv[1], None if sys.argv[2] == '-' else sys.argv[2])
print(json.dumps(dict(batch=auto_batch_size(m, int(sys.argv[3]), int(sys.argv[4])))))"""

def record(chosen:list):
    "Wrap the two sizing functions where `train` and `generate_captions` call them, appending each choice to `chosen`."
    fit, auto, load, last = tr.fit_micro_batch, ev.auto_batch_size, ev.load_for_eval, {}
    def fit_rec(preset, free_gib, *a, **k):
        out = fit(preset, free_gib, *a, **k)
        if preset.fit_batch: chosen.append(dict(stage=f'train {preset.name}', free_gib=free_gib, batch=out.batch_size, grad_accum=out.grad_accum))
        return out
    def load_rec(base, adapter=None, *a, **k):
        last.update(base=str(base), adapter=None if adapter is None else str(adapter))
        return load(base, adapter, *a, **k)
    def auto_rec(model, prompt_len, max_new_tokens=32, *a, **k):
        out = auto(model, prompt_len, max_new_tokens, *a, **k)
        chosen.append(dict(stage=f"caption {Path(last['adapter']).parent.name if last['adapter'] else 'base'}", **last, prompt_len=prompt_len,
                           max_new_tokens=max_new_tokens, free_gib=gpu_free_bytes(model.device) / 2**30 if model.device.type == 'cuda' else None, batch=out))
        return out
    tr.fit_micro_batch, ev.auto_batch_size, ev.load_for_eval = fit_rec, auto_rec, load_rec

def fresh(c:dict, runs:Path) -> dict:
    "The same choice, made by a fresh process."
    if c['stage'].startswith('train'):
        argv = [FRESH_TRAIN, str(runs/'r8-fast')]
    else: argv = [FRESH_CAPTION, c['base'], c['adapter'] or '-', str(c['prompt_len']), str(c['max_new_tokens'])]
    r = subprocess.run([sys.executable, '-c', *argv], capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])

@call_parse
def main(steps:int=20, # optimiser steps a rank
         limit:int=128, # test images captioned by each evaluation
        ):
    "Batch sizes chosen inside one reproduce process, against a fresh process's."
    gpu, g = torch.cuda.is_available(), Path(tempfile.mkdtemp())
    data = make_demo_riscm(g/'data', n_images=640 if gpu else 60, seed=0)
    kw = dict(data=data, model=str(full_size_checkpoint(g/'base', [c for cs in load_riscm(data).captions for c in cs])), metrics='paper') if gpu else {}
    chosen = []; record(chosen)
    reproduce('paper' if gpu else 'demo', g/'runs', figures=g/'figures', limit=limit if gpu else 8, fast_study=True,
              max_steps=steps, save_steps=10, logging_steps=10, **kw)
    bad = 0
    for c in chosen:
        f = fresh(c, g/'runs')
        bad += f['batch'] != c['batch']
        print(json.dumps(dict(stage=c['stage'], in_reproduce=c['batch'], fresh=f['batch'], free_gib_in_reproduce=c['free_gib'], equal=f['batch'] == c['batch'])), flush=True)
    sys.exit(1 if bad or not chosen else 0)
