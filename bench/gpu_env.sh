# Source this on a lent GPU machine (no network), in the repository root, after `bash bench/carry.sh` here and with
# `.whl` carried: it installs the carried wheels into /tmp/site (ahead of the machine's own packages), this package
# (editable, so its console scripts are on PATH), and the converted WordNet, and sets the run's variables.
#   source bench/gpu_env.sh || exit 1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || return 1
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
python3 -m pip install -q --no-index --no-deps --no-build-isolation -e . 2>&1 | grep -v -i 'warning' || true
[ -f .whl/wordnet.tar.xz ] && mkdir -p /tmp/nltk && tar xJf .whl/wordnet.tar.xz -C /tmp/nltk && export RISCM_NLTK_DATA=/tmp/nltk/nltk_data
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; grep -m1 'model name' /proc/cpuinfo; nproc
python3 -c "import torch, transformers, peft, bitsandbytes, riscm_paper; print('torch', torch.__version__, 'transformers', transformers.__version__, 'peft', peft.__version__, 'bnb', bitsandbytes.__version__, 'riscm_paper', riscm_paper.__file__)"
command -v riscm_train >/dev/null || { echo "riscm_train is not on PATH"; return 1; }
