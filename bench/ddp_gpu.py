"""Two GPUs against one with today's step (issue 30, point 3): the helpers of `bench/ddp_gpu.sh`, which says how to run them.

    python bench/ddp_gpu.py prepare --work W                     # the synthetic data and the random full-size base, in one process
    [torchrun --nproc_per_node 2] bench/ddp_gpu.py caption --work W --folder F   # 64 test images captioned zero-shot, 16 per call
    python bench/ddp_gpu.py report --commit C --work W           # the comparisons, from bench/results.jsonl's rows of commit C

`report` reads the rows that `bench/ddp_gpu.sh` appended (bench.py's format) and prints, with a verdict each:
- the per-step losses of `paper-r8` as shipped (8 a GPU) on two GPUs against one GPU at the same effective batch of 16,
  within 2 % of the reference's largest loss: the tolerance of the literal-vs-shipped comparison (`02_train`'s GPU cell);
  and the same for the two-GPU row that kept the CUDA graphs (`--ddp-graphs`), when it ran;
- the throughput of two GPUs over one, same preset, same call, against 1.8, for `paper-r8`, `fast` and the kept graphs;
- whether a two-GPU evaluation wrote one GPU's captions, byte for byte.
It exits with status 1 when a check fails or its rows are missing. `--tiny` (prepare, caption) uses the tiny twin: a
CPU check of this script's plumbing, which measures nothing.
"""
import argparse, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench import RESULTS, inputs

LOSS_TOL = 0.02  # the literal-vs-shipped comparison's tolerance (02_train's GPU cell): 2 % of the reference's largest loss
SPEEDUP = 1.8    # issue 30: two GPUs at least 1.8 times one
LOSS_REF = ('paper-r8 [logging_steps=1 batch_size=16]', 1)  # one GPU at the two GPUs' effective batch
LOSS_ROWS = [('paper-r8 [logging_steps=1]', 2), ('paper-r8 [logging_steps=1 ddp_graphs]', 2)]
SPEED_PAIRS = [(('paper-r8', 1), ('paper-r8', 2)), (('fast', 1), ('fast', 2)), (('paper-r8', 1), ('paper-r8 [ddp_graphs]', 2))]
CAPTIONS = ('captions-1gpu', 'captions-2gpu')  # folders under --work
PREDICTIONS = Path('eval')/'test-nucleus'/'predictions.jsonl'


def caption(work:Path, folder:Path, tiny:bool, limit:int=64, batch:int=16):
    "Caption `limit` test images zero-shot with the random base into `folder`, `batch` per call: the same batches in one process or two."
    from riscm_paper.config import Preset
    from riscm_paper.evaluation import evaluate_run
    from riscm_paper.pipeline import baseline_run
    from riscm_paper.train import on_main
    data, base = on_main(lambda: inputs(work, tiny))
    on_main(lambda: (folder/'preset.json').exists() or baseline_run(folder, Preset.load('paper-r8', model=str(base))))
    evaluate_run(folder, data, limit=limit, batch_size=batch, metrics='paper')


def latest(rows:list, name:str, gpus:int) -> dict|None:
    "The last row called `name` on `gpus` GPUs."
    return next((r for r in reversed(rows) if r['row'] == name and r['gpus'] == gpus), None)


def report(commit:str, work:Path) -> bool:
    "Print the comparisons for `commit`'s rows; whether every check that has its rows passed and none is missing."
    from riscm_paper.claims import bench_rows
    rows = [r for r in bench_rows(RESULTS) or [] if r['commit'] == commit]  # blank lines skipped, a bad line named
    cards = sorted({r['card'] for r in rows})
    print(f"commit {commit}: {len(rows)} rows, card(s) {cards}")
    ok, ref = True, latest(rows, *LOSS_REF)
    for name, gpus in LOSS_ROWS:
        two = latest(rows, name, gpus)
        if ref is None or two is None:
            print(f"losses {name} ({gpus} GPUs) against {LOSS_REF[0]} (1 GPU): rows missing"); ok = False; continue
        n, eps = min(len(ref['losses']), len(two['losses'])), LOSS_TOL * max(ref['losses'])
        diff = max(abs(a - b) for a, b in zip(ref['losses'][:n], two['losses'][:n]))
        same_batch = ref['samples_per_step'] == two['samples_per_step']
        good = same_batch and n >= 30 and diff <= eps and (two['cuda_graphs'] or 'ddp_graphs' not in name)  # the kept graphs' row must have replayed them
        ok &= good
        print(f"losses {name}, 2 GPUs (CUDA graphs {'on' if two['cuda_graphs'] else 'off'}; fallback: {two['fallback']}) against 1 GPU at the "
              f"same effective batch ({ref['samples_per_step']} and {two['samples_per_step']} a step{'' if same_batch else ': NOT THE SAME'}), {n} steps: "
              f"largest difference {diff:.4f}, tolerance {eps:.4f}: "
              f"{'agree' if good else 'DO NOT AGREE'}")
        print('  step  1 GPU    2 GPUs')
        for i, (a, b) in enumerate(zip(ref['losses'][:n], two['losses'][:n]), 1): print(f'  {i:4d}  {a:.4f}  {b:.4f}')
    for one_key, two_key in SPEED_PAIRS:
        one, two = latest(rows, *one_key), latest(rows, *two_key)
        if one is None or two is None:
            print(f"throughput {two_key[0]} (2 GPUs) over {one_key[0]} (1 GPU): rows missing"); ok = False; continue
        ratio = two['throughput'] / one['throughput']
        ok &= ratio >= SPEEDUP
        print(f"throughput {two_key[0]}: {two['throughput']:.1f} samples/s on 2 GPUs (CUDA graphs {'on' if two['cuda_graphs'] else 'off'}) against "
              f"{one['throughput']:.1f} on 1 (CUDA graphs {'on' if one['cuda_graphs'] else 'off'}): {ratio:.2f}x, "
              f"{'meets' if ratio >= SPEEDUP else 'BELOW'} {SPEEDUP}x")
    a, b = (work/f/PREDICTIONS for f in CAPTIONS)
    if not (a.is_file() and b.is_file()):
        print(f"captions: {a} or {b} missing"); ok = False
    else:
        la, lb = a.read_text().splitlines(), b.read_text().splitlines()
        same = sum(x == y for x, y in zip(la, lb))
        ok &= la == lb
        print(f"captions of a 2-GPU evaluation against 1 GPU: {len(lb)} lines against {len(la)}, {same} identical: "
              f"{'token-identical' if la == lb else 'DIFFERENT'}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('what', choices=['prepare', 'caption', 'report'])
    ap.add_argument('--work', required=True, help='scratch folder shared by the calls (data, base model, caption folders)')
    ap.add_argument('--folder', help='caption: the zero-shot run folder to write')
    ap.add_argument('--commit', help='report: the commit whose rows to compare')
    ap.add_argument('--tiny', action='store_true', help='the tiny twin: a CPU check of the plumbing, measuring nothing')
    a = ap.parse_args()
    work = Path(a.work)
    if a.what == 'prepare': print(inputs(work, a.tiny))
    elif a.what == 'caption': caption(work, Path(a.folder), a.tiny)
    else: sys.exit(0 if report(a.commit, work) else 1)


if __name__ == '__main__': main()
