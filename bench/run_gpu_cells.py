"""Run notebooks' cells in plain Python, on a GPU machine that has no Jupyter.

Two choices of cells:

- `--cells gpu` (the default): the notebook's exported cells and hidden set-up cells with imports run first (they
  define what the GPU cells use); then each `#| gpu` cell runs and its last expression is printed, as a notebook would
  show it.
- `--cells all`: every cell `nbdev_test` runs (the CPU test cells, with their tolerances and token-identical checks),
  and the `gpu` cells too (`--slow` adds the `slow` ones), in order, in the notebook's folder, stopping at the first
  failure. On a GPU machine the library's code takes the GPU, so this is how the CPU tests are known to hold there.

Each notebook runs in its own Python process (as a fresh kernel would). With `--keep-going` a failed cell is reported
and the next one runs, as the CEO's count of every failing cell did (later failures may follow from the first). Each
cell's seconds are printed; a table of the notebooks (cells run, failed cells, outcome, seconds), the failures' first
error lines and the slowest cells close the run; the exit status is 1 when any notebook failed. `--timeout` bounds
each notebook (a slow one is reported as such, with the cell it was in, and the run goes on); `--jobs` runs several
notebooks at once, each printed whole when it ends.

    python bench/run_gpu_cells.py nbs/01_model.ipynb nbs/02_train.ipynb        # their gpu cells
    python bench/run_gpu_cells.py --cells all --keep-going nbs/*.ipynb          # every test cell of every notebook
    python bench/run_gpu_cells.py --cells all --slow nbs/08_pipeline.ipynb      # with the slow cells

Java: the COCO scorers (the PTB tokenizer, METEOR 1.5) need a `java` on PATH. A machine without one (the lent GPU
machines) still runs every notebook: the cells that need Java skip their own part and say so in one line
(`riscm_paper.scoring.has_java`), and the stages that score use `metrics='paper'` there. On the GPU machine,
`bash bench/gpu_cells.sh` installs what `bench/carry.sh` packed and runs this script over every notebook.
"""
import argparse, ast, concurrent.futures, json, linecache, os, re, shutil, subprocess, sys, tempfile, time, traceback
from pathlib import Path

def _flags(src:str) -> set:
    return {w for l in src.splitlines() if l.startswith('#|') for w in l[2:].split()}


def _has_imports(src:str) -> bool:
    return any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.parse(_python(src)).body)


def _python(src:str) -> str:
    "The cell as plain Python: IPython's magics turned into calls (by IPython when it is there, else into `pass`)."
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(src)
    except ImportError:
        return re.sub(r'^(\s*)[%!].*$', r'\1pass', src, flags=re.M)


def cells(path:Path, which:str, slow:bool) -> list:
    "The (index, flags, source) of the code cells to run."
    out = []
    for i, c in enumerate(json.loads(path.read_text())['cells']):
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source']); f = _flags(src)
        if 'nbdev_' 'export(' in src or 'default_exp' in f or 'notest' in f: continue  # as nbdev_test skips them
        if which == 'gpu': keep = 'gpu' in f or 'export' in f or ('hide' in f and _has_imports(src) and 'tidy_up(_before)' not in src)  # the no-trace check needs every cell
        else: keep = 'slow' not in f or slow
        if keep: out.append((i, f, src))
    return out


def run_cell(src:str, ns:dict, show:bool=True, name:str='<cell>'):
    "Execute `src` in `ns`, printing the value of a final expression; `name` is its file name (`inspect` finds its source)."
    code = _python(src)
    linecache.cache[name] = (len(code), None, code.splitlines(keepends=True), name)  # as IPython does: inspect.getsource works
    tree = ast.parse(code)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, name, 'exec'), ns)
    if last is not None:
        v = eval(compile(ast.Expression(last.value), name, 'eval'), ns)
        if v is not None and show: print((v.to_string() if hasattr(v, 'to_string') else repr(v))[:3000], flush=True)


def run_notebook(path:Path, which:str, slow:bool, keep_going:bool, report:Path|None) -> int:
    "Run one notebook's cells in this process; 0 when every cell ran. Progress goes to `report` (JSON) after each cell."
    os.chdir(path.parent)
    try: from IPython.display import display
    except ImportError: display = print
    ns, done = {'__name__': '__main__', 'display': display}, dict(cells=0, failed=[], times=[], current=None)
    for i, f, src in cells(path, which, slow):
        print(f'--- {path.name} cell {i} {" ".join(sorted(f))}'.rstrip(), flush=True)
        if which == 'gpu' and 'gpu' in f: print(f'{src}\n--- output:', flush=True)
        done['current'] = i
        if report: report.write_text(json.dumps(done))
        t0 = time.time()
        try: run_cell(src, ns, show=which == 'gpu' or 'gpu' in f, name=f'<{path.stem} cell {i}>')
        except BaseException as e:
            traceback.print_exc(); print(f'--- {path.name}: FAILED in cell {i}', flush=True)
            done['failed'].append((i, f'{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ""}'[:300]))
            if not keep_going or isinstance(e, KeyboardInterrupt): break
        finally:
            dt = time.time() - t0; done['cells'] += 1; done['times'].append((i, dt)); done['current'] = None
            print(f'--- {path.name} cell {i}: {dt:.1f} s', flush=True)
            if report: report.write_text(json.dumps(done))
    return 1 if done['failed'] else 0


def java_on_path() -> str:
    "Where `java` comes from, or '' for none."
    return shutil.which('java') or ''


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('notebooks', nargs='*', help='notebook files, e.g. nbs/*.ipynb')
    p.add_argument('--cells', choices=('gpu', 'all'), default='gpu', help='gpu: the gpu cells (and what they need); all: every test cell too')
    p.add_argument('--slow', action='store_true', help='with --cells all: the slow cells too')
    p.add_argument('--keep-going', action='store_true', help='after a failed cell, run the next one (and list every failure)')
    p.add_argument('--timeout', type=float, default=0, help='seconds each notebook may run (0: no limit)')
    p.add_argument('--slowest', type=int, default=10, help='list this many of the slowest cells')
    p.add_argument('--jobs', type=int, default=1, help='notebooks run at once (each in its own process, sharing the GPU)')
    p.add_argument('--one', help=argparse.SUPPRESS)  # internal: run this one notebook in this process
    p.add_argument('--report', help=argparse.SUPPRESS)  # internal: where --one writes its progress
    a = p.parse_args()
    if a.one: sys.exit(run_notebook(Path(a.one).resolve(), a.cells, a.slow, a.keep_going, Path(a.report) if a.report else None))
    if not a.notebooks: p.error('name at least one notebook')
    java = java_on_path()
    print(f"java: {java or 'none (the cells that need the COCO scorers skip their part and say so)'}", flush=True)
    def one(nb:Path) -> tuple:
        "Run notebook `nb` in a child process; (row, failures, times, its output when captured)."
        todo = cells(nb, a.cells, a.slow)
        if not any('gpu' in f for _, f, _ in todo) and a.cells == 'gpu': return (nb.name, 0, '', 'no gpu cells', 0.0), [], [], ''
        report, t0, outcome = Path(tempfile.mkstemp(suffix='.json')[1]), time.time(), None
        cmd = [sys.executable, __file__, '--one', str(nb), '--cells', a.cells, '--report', str(report),
               *(['--slow'] if a.slow else []), *(['--keep-going'] if a.keep_going else [])]
        with tempfile.TemporaryFile('w+') as log:  # with --jobs > 1 each notebook's output is printed whole, when it ends
            try: rc = subprocess.run(cmd, timeout=a.timeout or None, **(dict(stdout=log, stderr=subprocess.STDOUT) if a.jobs > 1 else {})).returncode
            except subprocess.TimeoutExpired: rc, outcome = 1, f'TIMEOUT after {a.timeout:.0f} s'
            log.seek(0); text = log.read()
        done = json.loads(report.read_text()) if report.stat().st_size else {}
        report.unlink()
        if outcome and done.get('current') is not None: outcome += f' in cell {done["current"]}'
        failed = [c for c, _ in done.get('failed', [])]
        outcome = outcome or ('ok' if rc == 0 else 'FAILED' if failed else f'FAILED (exit {rc})')
        return ((nb.name, done.get('cells', 0), ', '.join(map(str, failed)), outcome, time.time() - t0),
                [(nb.name, c, e) for c, e in done.get('failed', [])], [(nb.name, c, t) for c, t in done.get('times', [])], text)
    rows, failures, times = [], [], []
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        for row, fails, ts, text in pool.map(one, map(Path, a.notebooks)):  # in the notebooks' order
            if text: print(text, end='', flush=True)
            rows.append(row); failures += fails; times += ts
    print('\n| notebook | cells run | failed cells | outcome | seconds |\n|---|---|---|---|---|')
    for r in rows: print(f'| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.0f} |')
    if failures:
        print('\n| notebook | cell | first error line |\n|---|---|---|')
        for nb, c, e in failures: print(f'| {nb} | {c} | {e.replace("|", "/")} |')
    if times and a.slowest:
        print('\n| slowest cells | seconds |\n|---|---|')
        for nb, c, t in sorted(times, key=lambda x: -x[2])[:a.slowest]: print(f'| {nb} cell {c} | {t:.1f} |')
    sys.exit(0 if all(r[3] in ('ok', 'no gpu cells') for r in rows) else 1)


if __name__ == '__main__': main()
