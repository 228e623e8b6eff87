"""One table of the project's speed on a GPU: paper-r8 literal, paper-r8 fast (same maths), fast, and captioning.

A training row is any preset of `riscm_paper.config.PRESETS` by name: `paper-r8`, `paper-r16`, their `-literal`
recipes, `fast`, and the adapter-fusion presets `paper-fusion-mlp` and `paper-fusion-depth` (r=8 with part of the
adapters at r=4, `07a_ranks`), whose rows give the rank study's estimate of its time (`ranks.study_estimate`;
bench/rows/study.txt, every run of the rank study and its baseline in one call). A rank without a preset of its own is a row with `--set r=R` (recorded as `paper-r8 [r=R]`).

Every row runs the project's own code at full size: the PaliGemma-3B-224 architecture (`paligemma_3b_config()`) with
random weights (no real weights exist offline; a step's cost does not depend on the weights' values), a processor
whose vocabulary has the real 257,216 entries, and the synthetic RISC-layout demo images, so batches have the real
structure (256 image tokens + prompt + caption).

- training rows: `train(Preset.load(row, model=<random 3B>, max_steps=warmup+steps+profiled))`, logging at the
  preset's interval (`--set logging_steps=1` logs every loss, for step-by-step comparisons; logging waits for the GPU).
  The timed window runs from the end of step `warmup` to the end of step `warmup+steps`, with the GPU waited for
  only at its two ends, so the host runs ahead as in a real run; it includes fetching and collating the batches
  (JPEG decoding and the processor run in the preset's DataLoader workers). samples/s = effective batch × steps /
  window. Peak memory over the whole run (compilation and CUDA-graph recording included): `max_memory_allocated`
  (`peak_gib`) and what the process held, `max_memory_reserved` (`reserved_gib`). The logged losses are kept, so the
  literal and the fast row (same start, same data) can be compared step by step.
- captioning: `load_for_eval` (bf16) + `generate_captions` (nucleus, p = 0.95, top_k = 0, 32 new tokens, images read
  in 8 DataLoader workers) on N images (default 8,904, the paper split's test images), at the batch `auto_batch_size`
  picks from free memory unless `--caption-batch` says otherwise, after one warm-up batch.
- under `torchrun --nproc_per_node N`: the training rows run data-parallel in one run folder (per-GPU micro-batch from
  the preset, so the effective batch grows N-fold unless `--set` says otherwise), and a row records whether the CUDA
  graphs ran (`parallel_preset` turns them off under several processes unless `--ddp-graphs`, and says why in
  `fallback`); captioning gives each process a contiguous part
  of the images (`shard_bounds`, as `evaluate_run` does) and times the slowest.
- `--set k=v ...` changes Preset fields of the training rows; the row is then recorded as `row [k=v ...]`.
- what explains a figure: after the timed steps (or batches) `torch.profiler` records a few more, and the row keeps
  the GPU-busy fraction (the union of the GPU's kernel and copy intervals over the wall time), the kernels and the
  host's launch calls per step, and the host CPU's model (a step bound by the host runs at the host's speed).

Each row appends one JSON line to bench/results.jsonl (date, card, commit, command, row, throughput, peak GiB, GPUs);
`--table` prints the latest row of each name from it, as bench/RESULTS.md shows it.

    python bench/bench.py --rows paper-r8-literal paper-r8 fast captioning --commit abc1234
"""
import argparse, datetime, json, os, subprocess, sys, tempfile, time
from pathlib import Path

LIMITS = {'train': 250.0, 'caption': 450.0}  # samples/s and captions/s an H200 could reach (bench/RESULTS.md says how)
RESULTS = Path(__file__).parent/'results.jsonl'


def real_length_data(data:Path, lengths:Path, out:Path, seed:int=0) -> Path:
    "A copy of the demo folder `data` at `out` (its images linked) whose captions have the lengths of bench/caption_lengths.json, drawn at random."
    import numpy as np, pandas as pd
    if (out/'captions.csv').exists(): return out
    counts = json.loads(Path(lengths).read_text())['counts']
    sizes, p = np.array([int(k) for k in counts]), np.array(list(counts.values()), dtype=float)
    df = pd.read_csv(data/'captions.csv'); cols = [c for c in df.columns if c.startswith('caption_')]
    words = sorted({w for c in df[cols].to_numpy().ravel() for w in str(c).split() if w.isalpha()})  # the demo's words: one token each
    rng = np.random.default_rng(seed)
    for c in cols: df[c] = [' '.join(rng.choice(words, n)) for n in rng.choice(sizes, len(df), p=p / p.sum())]
    out.mkdir(parents=True, exist_ok=True); (out/'resized').symlink_to((data/'resized').resolve())
    df.to_csv(out/'captions.csv', index=False)
    return out


def inputs(work:Path, tiny:bool=False, lengths:Path|None=None) -> tuple:
    "(data folder, base model folder) under `work`, made once; `tiny`: the tiny twin (a CPU check of this script); `lengths`: real caption lengths."
    from riscm_paper.data import load_riscm
    from riscm_paper.demo import make_demo_riscm
    from riscm_paper.model import full_size_checkpoint, make_tiny_checkpoint
    data = make_demo_riscm(work/'data', n_images=1200, seed=0)
    captions = [c for cs in load_riscm(data).captions for c in cs]  # the base's tokenizer is trained on the demo's words, as before
    if lengths: data = real_length_data(data, lengths, work/'data-real-lengths')
    if tiny: return data, (work/'tiny' if (work/'tiny'/'config.json').exists() else make_tiny_checkpoint(work/'tiny', captions))
    return data, full_size_checkpoint(work/'base-3b', captions)


LAUNCHES = ('cudaLaunchKernel', 'cudaLaunchKernelExC', 'cuLaunchKernel', 'cuLaunchKernelEx', 'cudaGraphLaunch',
            'cudaMemcpyAsync', 'cudaMemsetAsync')  # the host's calls that put work on the GPU


def busy_stats(prof, wall:float, steps:int) -> dict:
    "GPU-busy fraction (union of kernel/copy intervals over `wall` seconds), kernels and host launch calls per step."
    from torch.autograd import DeviceType
    events = [e for e in prof.events() if e.device_type == DeviceType.CUDA]
    gpu = sorted((e.time_range.start, e.time_range.end) for e in events)
    attention = {}  # which attention kernels ran (flash, memory-efficient or the math path's matmuls), and their GPU time in ms
    for e in events:
        if any(k in e.name.lower() for k in ('flash', 'fmha', 'attention', 'sdpa', 'softmax')):
            attention[e.name[:90]] = attention.get(e.name[:90], 0.0) + (e.time_range.end - e.time_range.start) / 1e3
    busy, end = 0.0, float('-inf')
    for a, b in gpu:
        if b > end: busy += b - max(a, end); end = b
    launches = sum(e.name in LAUNCHES for e in prof.events() if e.device_type == DeviceType.CPU)
    return dict(gpu_busy=busy / 1e6 / wall, kernels_per_step=len(gpu) / steps, launches_per_step=launches / steps,
                profiled_step_s=wall / steps, attention_kernels_ms={k: round(v, 2) for k, v in sorted(attention.items(), key=lambda kv: -kv[1])[:6]})


def host() -> dict:
    "The host CPU's model and core count (every figure is recorded with them)."
    from riscm_paper.config import env_info
    return dict(host_cpu=env_info()['cpu'], host_cores=os.cpu_count())


def train_row(row:str, work:Path, steps:int, warmup:int, overrides:dict, profiled:int=3, lengths:Path|None=None) -> dict:
    "Train `row` for warmup + steps (+ profiled) optimiser steps; the mean time of the timed steps, the peak memory, the losses, what the profiler saw."
    import torch
    from transformers import TrainerCallback
    from riscm_paper.config import Preset
    from riscm_paper.runfolder import main_process
    from riscm_paper.train import RiscmTrainer, from_main, on_main, train, world_size

    shapes, step_of = [], RiscmTrainer.training_step  # each micro-batch's padded length, in the training process
    def training_step(self, model, inputs, *a, **k):
        shapes.append(int(inputs['input_ids'].shape[1])); return step_of(self, model, inputs, *a, **k)
    RiscmTrainer.training_step = training_step

    cuda = torch.cuda.is_available()
    class StepTimer(TrainerCallback):
        "Waits for the GPU only where the timed window starts and ends, so the host may run ahead as in a real run."
        def __init__(self): self.marks, self.prof, self.stats, self.ends, self.held = {}, None, {}, [], 0.0
        def on_train_begin(self, args, state, control, **kw):
            if cuda: torch.cuda.synchronize()
            self.marks['begin'] = time.perf_counter()  # the whole window starts before the first step: every compile and recording counts
        def on_step_begin(self, args, state, control, **kw):
            if cuda and profiled and state.global_step == warmup + steps:
                self.prof = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU, torch.profiler.ProfilerActivity.CUDA])
                self.prof.__enter__(); self.t0 = time.perf_counter()
        def on_step_end(self, args, state, control, **kw):
            self.ends.append(time.perf_counter())  # the host's clock, not waiting for the GPU (logging waits every logging_steps)
            if state.global_step in (warmup, warmup + steps):
                if cuda: torch.cuda.synchronize()
                self.marks[state.global_step] = time.perf_counter()
                if state.global_step == warmup + steps and cuda: self.held = torch.cuda.memory_reserved() / 2**30
            if self.prof is not None and state.global_step == warmup + steps + profiled:
                torch.cuda.synchronize(); wall = time.perf_counter() - self.t0; self.prof.__exit__(None, None, None)
                self.stats = busy_stats(self.prof, wall, profiled)
                print(self.prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=12), flush=True)  # where the host's time goes
                self.prof = None
    data, base = on_main(lambda: inputs(work, tiny=row == 'demo', lengths=lengths))  # made by the main process, once
    total = warmup + steps + (profiled if cuda else 0)
    every = overrides.pop('logging_steps', Preset.load(row).logging_steps)  # the preset's own, unless --set logging_steps=1 asks for every loss
    preset = Preset.load(row, model=str(base), max_steps=total, save_steps=-(-total // every) * every, logging_steps=every, report_to='none', **overrides)
    if cuda: torch.cuda.reset_peak_memory_stats()
    timer = StepTimer()
    out = work/f'run-{row}-{from_main(time.time_ns())}'  # one run folder for all processes, as a user's torchrun job
    try: train(preset, data, out, callbacks=[timer], verbose=main_process())
    finally: RiscmTrainer.training_step = step_of  # the next row (or a failed one) trains unwrapped
    ran = json.loads((out/'train_summary.json').read_text())  # what ran: the CUDA graphs may have fallen back
    world = world_size()
    end = timer.marks[warmup + steps]
    step_s = (end - timer.marks.get(warmup, timer.marks['begin'])) / steps  # the mean over the timed steps: stalls count, as in a run
    first = {}  # each padded length's first micro-batch, and the optimiser step it was in
    for i, n in enumerate(shapes): first.setdefault(n, i // preset.grad_accum)
    settled = max(first.values()) + 1  # steps after the last new shape: no more compiles or recordings
    timed = timer.ends[:warmup + steps]
    steady = dict(steady_steps=len(timed) - settled - 1, steady_throughput=preset.effective_batch * world * (len(timed) - settled - 1) / (end - timed[settled])) \
        if len(timed) - settled > 10 else {}
    window = dict(whole_window_s=end - timer.marks['begin'], whole_window_throughput=preset.effective_batch * world * (warmup + steps) / (end - timer.marks['begin']),
                  buckets=sorted(first), bucket_first_step=[first[n] for n in sorted(first)], bucket_share={n: round(shapes.count(n) / len(shapes), 4) for n in sorted(first)},
                  held_gib_end=timer.held, lengths=str(lengths) if lengths else None, **steady)
    losses = [h['loss'] for h in json.loads((out/'trainer_state.json').read_text())['log_history'] if 'loss' in h] if main_process() else []
    return dict(kind='train', micro_batch=preset.batch_size, grad_accum=preset.grad_accum, gpus=world,
                samples_per_step=preset.effective_batch * world, step_s=step_s, throughput=preset.effective_batch * world / step_s,
                peak_gib=torch.cuda.max_memory_allocated() / 2**30 if cuda else 0.0, logging_steps=every,
                reserved_gib=torch.cuda.max_memory_reserved() / 2**30 if cuda else 0.0, losses=losses,
                checkpointing=preset.gradient_checkpointing, caption_loss=preset.caption_loss, dequant_cache=preset.dequant_cache,
                quant=preset.quant, **{k: getattr(preset, k, None) for k in ('compile', 'flat_optimizer', 'pad_to')},
                cuda_graphs=ran['cuda_graphs'], fallback=ran['fallback'], **window,
                **timer.stats, **host())


def caption_row(work:Path, n:int, batch:int, workers:int=8, compiled:bool=False, static:bool=False, tokens:int=32,
                logit_scale:float=1.0, decode:str='nucleus') -> dict:
    "Caption n images with the merged bf16 model, shared out over the data-parallel processes (as `evaluate_run`); captions/s, peak memory, what the profiler saw."
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
    if logit_scale != 1: model.model.language_model.norm.weight.data.add_(1).mul_(logit_scale).sub_(1)  # Gemma scales by 1 + weight: sharper logits, as a trained model's
    if compiled: compile_layers(model, decode=True)
    if static: model.generation_config.cache_implementation = 'static'  # transformers compiles the decoding step (CUDA graphs)
    used = auto_batch_size(model, 263, tokens) if batch == 0 else batch
    kw = dict(decode=decode, batch_size=batch, workers=workers, progress=False, max_new_tokens=tokens)
    generate_captions(model, proc, paths[:used], **kw)  # warm-up (and compilation)
    torch.cuda.synchronize(); state.wait_for_everyone(); torch.cuda.reset_peak_memory_stats(); t0 = time.perf_counter()
    caps = generate_captions(model, proc, paths[a:b], offset=a, **kw)
    torch.cuda.synchronize(); state.wait_for_everyone(); secs = time.perf_counter() - t0
    assert len(caps) == b - a
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU, torch.profiler.ProfilerActivity.CUDA]) as prof:
        t1 = time.perf_counter(); generate_captions(model, proc, paths[:used], **kw); torch.cuda.synchronize(); wall = time.perf_counter() - t1
    stats = {k.replace('per_step', 'per_batch').replace('profiled_step_s', 'profiled_batch_s'): v for k, v in busy_stats(prof, wall, 1).items()}
    return dict(kind='caption', images=n, batch=used, workers=workers, compiled=compiled, static_cache=static, new_tokens=tokens,
                logit_scale=logit_scale, decode=decode, seconds=secs, throughput=n / secs, gpus=state.num_processes,
                peak_gib=torch.cuda.max_memory_allocated() / 2**30, first_captions=caps[:2], **stats, **host())


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
    ap.add_argument('--caption-static', action='store_true', help="a static cache: transformers compiles the decoding step")
    ap.add_argument('--caption-tokens', type=int, default=32, help='new tokens per caption (1: the prefill alone)')
    ap.add_argument('--caption-decode', default='nucleus', help='nucleus, greedy or beam')
    ap.add_argument('--logit-scale', type=float, default=1.0, help="scale the random model's logits (e.g. 8: a trained model's small nucleus)")
    ap.add_argument('--profiled', type=int, default=3, help='training steps profiled after the timed ones (GPU busy, launches)')
    ap.add_argument('--lengths', default=None, help='captions with these lengths (bench/caption_lengths.json: the real captions\') instead of the demo\'s')
    ap.add_argument('--set', nargs='*', default=[], help='Preset overrides for the training rows, e.g. batch_size=4')
    ap.add_argument('--ddp-graphs', action='store_true', help='keep the CUDA graphs under several processes (riscm_paper.train.DDP_GRAPHS)')
    ap.add_argument('--work', default=None, help='scratch folder (default: a temp dir)')
    ap.add_argument('--commit', default='unknown')
    ap.add_argument('--table', action='store_true', help='print the latest line of each row from results.jsonl and stop')
    a = ap.parse_args()
    if a.table:
        latest = {}
        for l in map(json.loads, RESULTS.read_text().splitlines()): latest[(l['row'], l['gpus'], l['card'])] = l
        print(table(list(latest.values()))); return
    from riscm_paper.config import PRESETS, parse_overrides
    if unknown := [r for r in a.rows if r != 'captioning' and r not in PRESETS]:  # before any row runs, not after the first
        ap.error(f"unknown row(s) {unknown}: a preset name ({', '.join(sorted(PRESETS))}) or captioning")
    import riscm_paper.train
    from riscm_paper.runfolder import main_process
    riscm_paper.train.DDP_GRAPHS = riscm_paper.train.DDP_GRAPHS or a.ddp_graphs
    work = Path(a.work or riscm_paper.train.from_main(tempfile.mkdtemp()))  # the main process's, in every process
    for row in a.rows:
        res = (caption_row(work, a.captions, a.caption_batch, a.caption_workers, a.caption_compile, a.caption_static, a.caption_tokens,
                           a.logit_scale, a.caption_decode)
               if row == 'captioning' else train_row(row, work, a.steps, a.warmup, parse_overrides(a.set), a.profiled, a.lengths))
        if main_process():
            opts = [f'{k}' for k, on in (('compiled', a.caption_compile), ('static', a.caption_static)) if on]
            opts += [f'{k}={v}' for k, v, d in (('tokens', a.caption_tokens, 32), ('logit_scale', a.logit_scale, 1.0), ('decode', a.caption_decode, 'nucleus')) if v != d]
            train_opts = a.set + (['ddp_graphs'] if a.ddp_graphs else []) + (['real_lengths'] if a.lengths else [])
            tag = (f" [{' '.join(opts)}]" if opts else '') if row == 'captioning' else (f" [{' '.join(train_opts)}]" if train_opts else '')
            line = record(row + tag, res, a.commit)
            print(json.dumps({k: v for k, v in line.items() if k != 'losses'}), flush=True)
            if line.get('losses'): print(f'{row} losses:', [round(x, 4) for x in line['losses']], flush=True)
            print(table([line]), flush=True)


if __name__ == '__main__': main()
