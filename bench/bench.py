"""One table of the project's speed on a GPU: paper-r8 literal, paper-r8 fast (same maths), fast, and captioning.

Every row runs the project's own code at full size: the PaliGemma-3B-224 architecture (`paligemma_3b_config()`) with
random weights (no real weights exist offline; a step's cost does not depend on the weights' values), a processor
whose vocabulary has the real 257,216 entries, and the synthetic RISC-layout demo images, so batches have the real
structure (256 image tokens + prompt + caption).

- training rows: `train(Preset.load(row, model=<random 3B>, max_steps=warmup+steps, logging_steps=1))`. The time of
  a step is the wall time between two consecutive `on_step_end`s, so it includes fetching and collating the next
  batch (JPEG decoding and the processor run in the preset's DataLoader workers). samples/s = effective batch /
  median step time. Peak memory is `max_memory_allocated` over the timed steps. The per-step losses are kept, so the
  literal and the fast row (same start, same data) can be compared step by step.
- captioning: `load_for_eval` (bf16) + `generate_captions` (nucleus, p = 0.95, top_k = 0, 32 new tokens, images read
  in 8 DataLoader workers) on N images (default 8,904, the paper split's test images), at the batch `auto_batch_size`
  picks from free memory unless `--caption-batch` says otherwise, after one warm-up batch.
- under `torchrun --nproc_per_node N`: the training rows run data-parallel (per-GPU micro-batch from the preset, so
  the effective batch grows N-fold unless `--set` says otherwise); captioning gives each process a contiguous part
  of the images (`shard_bounds`, as `evaluate_run` does) and times the slowest.
- `--set k=v ...` changes Preset fields of the training rows; the row is then recorded as `row [k=v ...]`.

Each row appends one JSON line to bench/results.jsonl (date, card, commit, command, row, throughput, peak GiB, GPUs);
`--table` prints the latest row of each name from it, as bench/RESULTS.md shows it.

    python bench/bench.py --rows paper-r8-literal paper-r8 fast captioning --commit abc1234
"""
import argparse, datetime, json, os, subprocess, sys, tempfile, time
from pathlib import Path

LIMITS = {'train': 250.0, 'caption': 450.0}  # samples/s and captions/s an H200 could reach (bench/RESULTS.md says how)
RESULTS = Path(__file__).parent/'results.jsonl'


def full_size_base(dest:Path, captions:list) -> Path:
    "Random-weight PaliGemma-3B-224 plus a processor with the real vocabulary size, saved to `dest` (once)."
    from riscm_paper.model import paligemma_3b_config, save_random_checkpoint, tiny_processor
    if (dest/'config.json').exists(): return dest
    proc = tiny_processor(captions, image_size=224, patch=14, vocab_total=257_216)
    cfg = paligemma_3b_config()
    cfg.image_token_index = proc.image_token_id
    save_random_checkpoint(dest, cfg)
    proc.save_pretrained(dest)
    return dest


def inputs(work:Path, tiny:bool=False) -> tuple:
    "(data folder, base model folder) under `work`, made once; `tiny`: the tiny twin (a CPU check of this script)."
    from riscm_paper.data import load_riscm
    from riscm_paper.demo import make_demo_riscm
    from riscm_paper.model import make_tiny_checkpoint
    data = make_demo_riscm(work/'data', n_images=1200, seed=0)
    captions = [c for cs in load_riscm(data).captions for c in cs]
    if tiny: return data, (work/'tiny' if (work/'tiny'/'config.json').exists() else make_tiny_checkpoint(work/'tiny', captions))
    return data, full_size_base(work/'base-3b', captions)


def train_row(row:str, work:Path, steps:int, warmup:int, overrides:dict) -> dict:
    "Train `row` for warmup + steps optimiser steps; the median time of the timed steps, the peak memory, the losses."
    import torch
    from transformers import TrainerCallback
    from riscm_paper.config import Preset
    from riscm_paper.train import train

    cuda = torch.cuda.is_available()
    class StepTimer(TrainerCallback):
        def __init__(self): self.marks = []
        def on_step_end(self, args, state, control, **kw):
            if cuda: torch.cuda.synchronize()
            if cuda and state.global_step == warmup: torch.cuda.reset_peak_memory_stats()
            self.marks.append(time.perf_counter())

    data, base = inputs(work, tiny=row == 'demo')
    rank = int(os.environ.get('RANK', 0))
    preset = Preset.load(row, model=str(base), max_steps=warmup + steps, save_steps=warmup + steps, logging_steps=1,
                         report_to='none', **overrides)
    timer = StepTimer()
    out = work/f'run-{row}-{os.getpid() if rank else "main"}-{time.time_ns()}'
    train(preset, data, out, callbacks=[timer], verbose=rank == 0)
    gaps = sorted(b - a for a, b in zip(timer.marks[warmup - 1:], timer.marks[warmup:]))
    world = int(os.environ.get('WORLD_SIZE', 1))
    median = gaps[len(gaps) // 2]
    losses = [h['loss'] for h in json.loads((out/'trainer_state.json').read_text())['log_history'] if 'loss' in h] if rank == 0 else []
    return dict(kind='train', micro_batch=preset.batch_size, grad_accum=preset.grad_accum, gpus=world,
                samples_per_step=preset.effective_batch * world, step_s=median, throughput=preset.effective_batch * world / median,
                peak_gib=torch.cuda.max_memory_allocated() / 2**30 if cuda else 0.0, losses=losses,
                checkpointing=preset.gradient_checkpointing, caption_loss=preset.caption_loss, dequant_cache=preset.dequant_cache,
                quant=preset.quant)


def caption_row(work:Path, n:int, batch:int, workers:int=8, compiled:bool=False) -> dict:
    "Caption n images with the merged bf16 model, shared out over the data-parallel processes (as `evaluate_run`); captions/s, peak memory."
    import torch
    from accelerate import PartialState
    from riscm_paper.data import load_riscm
    from riscm_paper.evaluation import auto_batch_size, generate_captions, load_for_eval, shard_bounds
    from riscm_paper.model import compile_layers
    state = PartialState()
    with state.main_process_first(): data, base = inputs(work)
    paths = (load_riscm(data).path.tolist() * (n // 1200 + 1))[:n]
    a, b = shard_bounds(n, state.process_index, state.num_processes)
    model, proc = load_for_eval(base)
    if compiled: compile_layers(model, decode=True)
    used = auto_batch_size(model, 263, 32) if batch == 0 else batch
    generate_captions(model, proc, paths[:used], decode='nucleus', batch_size=batch, workers=workers, progress=False)  # warm-up
    torch.cuda.synchronize(); state.wait_for_everyone(); torch.cuda.reset_peak_memory_stats(); t0 = time.perf_counter()
    caps = generate_captions(model, proc, paths[a:b], offset=a, decode='nucleus', batch_size=batch, workers=workers, progress=False)
    torch.cuda.synchronize(); state.wait_for_everyone(); secs = time.perf_counter() - t0
    assert len(caps) == b - a
    return dict(kind='caption', images=n, batch=used, workers=workers, compiled=compiled, seconds=secs, throughput=n / secs,
                gpus=state.num_processes, peak_gib=torch.cuda.max_memory_allocated() / 2**30)


def record(row:str, res:dict, commit:str) -> dict:
    "Append one result line to bench/results.jsonl."
    import torch
    card = torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu'
    line = dict(date=datetime.date.today().isoformat(), card=card, commit=commit,
                command=' '.join(sys.argv), row=row, **res,
                limit=LIMITS[res['kind']], fraction_of_limit=res['throughput'] / LIMITS[res['kind']])
    with open(RESULTS, 'a') as f: f.write(json.dumps(line) + '\n')
    return line


def table(lines:list) -> str:
    "The Markdown table of result lines."
    out = ['| card | row | GPUs | micro x accum | samples (captions)/s | peak GiB | fraction of limit | commit | date |',
           '|---|---|---|---|---|---|---|---|---|']
    for l in lines:
        mb = f"{l['micro_batch']} x {l['grad_accum']}" if l['kind'] == 'train' else f"batch {l['batch']}"
        out.append(f"| {l['card']} | {l['row']} | {l['gpus']} | {mb} | {l['throughput']:.1f} | {l['peak_gib']:.1f} | "
                   f"{l['fraction_of_limit']:.2f} | {l['commit']} | {l['date']} |")
    return '\n'.join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rows', nargs='*', default=['paper-r8-literal', 'paper-r8', 'fast', 'captioning'])
    ap.add_argument('--steps', type=int, default=12, help='timed optimiser steps per training row')
    ap.add_argument('--warmup', type=int, default=3, help='untimed optimiser steps first')
    ap.add_argument('--captions', type=int, default=8904, help='images to caption (the paper split\'s test images: 8,904)')
    ap.add_argument('--caption-compile', action='store_true', help='compile_layers(decode=True) before captioning')
    ap.add_argument('--caption-batch', type=int, default=0, help='images per generate call; 0: from free memory, as evaluate_run')
    ap.add_argument('--caption-workers', type=int, default=8, help='DataLoader processes reading the images')
    ap.add_argument('--set', nargs='*', default=[], help='Preset overrides for the training rows, e.g. batch_size=4')
    ap.add_argument('--work', default=None, help='scratch folder (default: a temp dir)')
    ap.add_argument('--commit', default='unknown')
    ap.add_argument('--table', action='store_true', help='print the latest line of each row from results.jsonl and stop')
    a = ap.parse_args()
    if a.table:
        latest = {}
        for l in map(json.loads, RESULTS.read_text().splitlines()): latest[(l['row'], l['gpus'], l['card'])] = l
        print(table(list(latest.values()))); return
    from riscm_paper.config import parse_overrides
    work = Path(a.work or tempfile.mkdtemp())
    for row in a.rows:
        res = caption_row(work, a.captions, a.caption_batch, a.caption_workers, a.caption_compile) if row == 'captioning' else train_row(row, work, a.steps, a.warmup, parse_overrides(a.set))
        if int(os.environ.get('RANK', 0)) == 0:
            tag = (' [compiled]' if a.caption_compile else '') if row == 'captioning' else (f" [{' '.join(a.set)}]" if a.set else '')
            line = record(row + tag, res, a.commit)
            print(json.dumps({k: v for k, v in line.items() if k != 'losses'}), flush=True)
            if line.get('losses'): print(f'{row} losses:', [round(x, 4) for x in line['losses']], flush=True)
            print(table([line]), flush=True)


if __name__ == '__main__': main()
