#!/usr/bin/env bash
# The runtime install beside fastcore 1.x and beside 2.x (Colab's, which its fastai needs): in two fresh venvs (no
# system site-packages), torch and one fastcore are installed first, as a runtime that has them, then this package
# (its runtime dependencies only, as Colab's set-up cell installs it). The install must keep that fastcore (no
# "Uninstalling fastcore"), pip must report no conflict (`pip check`), the package must import, and every console
# script's --help must print the same text under both.   Usage: tools/fastcore_venvs.sh [FASTCORE_2_VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
scripts="riscm_split riscm_train riscm_eval riscm_figures riscm_reproduce riscm_caption riscm_export"
for fc in "1.14.5" "${1:-2.2.41}"; do
  v="$work/fastcore-$fc"
  python -m venv "$v"
  "$v/bin/pip" install -q torch==2.13.0 "fastcore==$fc"
  "$v/bin/pip" install . 2>&1 | tee "$v/install.log" | tail -1
  if grep -qi "uninstalling fastcore" "$v/install.log"; then echo "fastcore $fc: the install replaced it"; exit 1; fi
  "$v/bin/pip" check
  (cd "$work" && "$v/bin/python" -c "import fastcore, riscm_paper.cli, riscm_paper.pipeline; print('fastcore', fastcore.__version__, 'riscm_paper', riscm_paper.__version__, 'imports')")
  for s in $scripts; do (cd "$work" && COLUMNS=100 "$v/bin/$s" --help > "$v/$s.help"); done
  echo "fastcore $fc: $(ls "$v"/*.help | wc -l) --help texts"
done
for s in $scripts; do diff "$work/fastcore-1.14.5/$s.help" "$work/fastcore-${1:-2.2.41}/$s.help"; done
echo "the same --help under fastcore 1.14.5 and ${1:-2.2.41}; the venvs are in $work"
