"""Run a notebook's `#| gpu` cells in plain Python, on a GPU machine that has no Jupyter.

The notebook's exported cells and hidden set-up cells with imports run first (they define what the GPU cells use); then each `#| gpu` cell
runs and its last expression is printed, as a notebook would show it.

    python bench/run_gpu_cells.py nbs/01_model.ipynb
"""
import ast, json, sys


def _flags(src:str) -> set:
    return {w for l in src.splitlines() if l.startswith('#|') for w in l[2:].split()}


def _has_imports(src:str) -> bool:
    return any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.parse(src).body)


def run_cell(src:str, ns:dict):
    "Execute `src` in `ns`, printing the value of a final expression."
    tree = ast.parse(src)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, '<cell>', 'exec'), ns)
    if last is not None:
        v = eval(compile(ast.Expression(last.value), '<cell>', 'eval'), ns)
        if v is not None: print(v.to_string() if hasattr(v, 'to_string') else repr(v))


def main(path:str):
    cells = [''.join(c['source']) for c in json.load(open(path))['cells'] if c['cell_type'] == 'code']
    ns = {'__name__': '__gpu_cells__'}
    for src in cells:
        f = _flags(src)
        if 'nbdev_export' in src or 'default_exp' in f: continue
        if 'gpu' in f:
            print(f'--- gpu cell:\n{src}\n--- output:', flush=True); run_cell(src, ns)
        elif 'export' in f or ('hide' in f and _has_imports(src)): run_cell(src, ns)


if __name__ == '__main__': main(sys.argv[1])
