"""Read the library versions the paper names (§III-E) from their PyPI wheels and write what they contain to
riscm_paper/library_evidence.json, which the audit (riscm_paper.method, nbs/05_method.ipynb) reads offline.

Run once, with network access to PyPI:

    python tools/old_library_evidence.py [--wheels /tmp/old_library_wheels] [--out riscm_paper/library_evidence.json]

It runs `pip download --no-deps` (PyPI only) for transformers 4.41.0-4.45.0, peft 0.10.0 and bitsandbytes 0.43.2,
reads files inside the wheels (nothing is installed or imported), and runs `pip install --dry-run --ignore-installed
--report` of the four pins with torch 2.6.0 to see whether they resolve together and which CUDA runtime torch 2.6.0
pulls in. Every fact records the wheel, the file, the line number and the line it was read from.
"""
from __future__ import annotations
import argparse, datetime, hashlib, json, re, subprocess, sys, zipfile
from pathlib import Path

INDEX = 'https://pypi.org/simple'
PINS = ['transformers==4.45.0', 'peft==0.10.0', 'bitsandbytes==0.43.2']  # §III-E
EARLY = [f'transformers==4.{m}.0' for m in range(41, 45)]  # releases before 4.45, for the numpy-import claim (§I)
RESOLVE = PINS + ['torch==2.6.0']  # resolved together by pip, nothing installed


def download(specs:list, # pip requirement specifiers
             dest:Path, # folder for the wheels
            ) -> None:
    "`pip download --no-deps --only-binary :all:` of each of `specs` from PyPI into `dest` (one at a time: pins of one package conflict)."
    for spec in specs:
        subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps', '--only-binary', ':all:', '--index-url', INDEX,
                        '-d', str(dest), spec], check=True)


def wheel(dest:Path, # folder of wheels
          name:str, # e.g. 'peft-0.10.0'
         ) -> Path:
    "The wheel file of `name` in `dest`."
    ws = sorted(dest.glob(f'{name}-*.whl'))
    if not ws: raise FileNotFoundError(f'no wheel {name}-*.whl in {dest}')
    return ws[0]


def wheel_info(path:Path, # a wheel
              ) -> dict:
    "File name, sha256, the METADATA timestamp inside the zip (the build date) and the non-extra Requires-Dist."
    z = zipfile.ZipFile(path)
    meta = next(i for i in z.infolist() if i.filename.endswith('.dist-info/METADATA'))
    req = [l.split(':', 1)[1].strip() for l in z.read(meta).decode().splitlines()
           if l.startswith('Requires-Dist') and 'extra ==' not in l]
    return dict(file=path.name, sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                metadata_date='%04d-%02d-%02d' % meta.date_time[:3], metadata_file=meta.filename, requires=req)


def grep(path:Path, # a wheel
         member:str, # file inside it
         pattern:str, # regex, searched line by line
        ) -> list:
    "Lines of `member` in the wheel matching `pattern`: [{line, text}] ([] if the member is absent)."
    z = zipfile.ZipFile(path)
    try: src = z.read(member).decode()
    except KeyError: return []
    return [dict(line=i, text=l.strip()) for i, l in enumerate(src.splitlines(), 1) if re.search(pattern, l)]


def fact(whl:Path, # the wheel read
         member:str, # file inside it
         pattern:str, # regex
         how:str, # what the search shows
        ) -> dict:
    "One fact: wheel, file, matching lines and how they were found."
    return dict(wheel=whl.name, file=member, pattern=pattern, matches=grep(whl, member, pattern), how=how)


def numpy_uses(whl:Path, # a transformers wheel
              ) -> dict:
    "Code uses of `np.` (docstrings excluded) and numpy imports in the wheel's processing_paligemma.py."
    member = 'transformers/models/paligemma/processing_paligemma.py'
    try: src = zipfile.ZipFile(whl).read(member).decode()
    except KeyError: return dict(wheel=whl.name, file=member, present=False)
    lines = src.splitlines()
    uses = [dict(line=i, text=l.strip()) for i, l in enumerate(lines, 1)
            if re.search(r'(?<![j\w])np\.[a-z]', l) and not re.search(r"`|'np'", l)]
    imports = [dict(line=i, text=l.strip()) for i, l in enumerate(lines, 1) if re.match(r'\s*(import numpy|from numpy)', l)]
    return dict(wheel=whl.name, file=member, present=True, np_uses=uses, numpy_imports=imports,
                how="lines using np.<name> outside docstrings/backticks, and lines importing numpy")


def resolve(specs:list, # requirement specifiers
            report:Path, # where pip writes its JSON report
           ) -> dict:
    "`pip install --dry-run --ignore-installed --report` of `specs` (PyPI): resolved versions, or pip's error."
    cmd = [sys.executable, '-m', 'pip', 'install', '--dry-run', '--ignore-installed', '--quiet', '--index-url', INDEX,
           '--report', str(report), *specs]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode: return dict(command=' '.join(cmd[2:]), resolved=False, error=p.stderr.strip()[-2000:])
    got = {i['metadata']['name'].lower(): i['metadata']['version'] for i in json.loads(report.read_text())['install']}
    return dict(command=' '.join(cmd[2:]), resolved=True, versions=dict(sorted(got.items())),
                how='pip resolution only: nothing installed or run; unpinned dependencies resolve to the releases of the day')


def evidence(dest:Path, # folder holding the downloaded wheels
            ) -> dict:
    "Every fact the audit uses, read from the wheels in `dest` (and a pip resolution)."
    T, P, B = wheel(dest, 'transformers-4.45.0'), wheel(dest, 'peft-0.10.0'), wheel(dest, 'bitsandbytes-0.43.2')
    bnb_libs = sorted(n.split('/')[-1] for n in zipfile.ZipFile(B).namelist() if re.search(r'libbitsandbytes_cuda\d+.*\.so$', n))
    facts = {
        'transformers.paligemma_class': fact(T, 'transformers/models/paligemma/modeling_paligemma.py',
                                             r'^class PaliGemmaForConditionalGeneration', 'the PaliGemma model class exists'),
        'transformers.bnb_quant_type_default': fact(T, 'transformers/utils/quantization_config.py', r'bnb_4bit_quant_type="',
                                                    "BitsAndBytesConfig.__init__'s default bnb_4bit_quant_type"),
        'transformers.bnb_double_quant': fact(T, 'transformers/utils/quantization_config.py', r'bnb_4bit_use_double_quant=False,',
                                              'BitsAndBytesConfig.__init__ accepts bnb_4bit_use_double_quant'),
        'transformers.prompt_string': fact(T, 'transformers/models/paligemma/processing_paligemma.py',
                                           r'image_token \* image_seq_len|bos_token}|return f"', 'how the processor lays out <image> tokens, <bos> and the prompt'),
        'peft.lora_defaults': fact(P, 'peft/tuners/lora/config.py', r'^    (r|lora_alpha): int = field\(default=',
                                   "LoraConfig's default r and lora_alpha"),
        'peft.target_suffix_match': fact(P, 'peft/tuners/tuners_utils.py', r'key\.endswith\(f"\.\{target_key\}"\)',
                                         'check_target_module_exists matches target_modules by name suffix'),
        'peft.merge_4bit': fact(P, 'peft/tuners/lora/bnb.py', r'Merge lora module to 4-bit|rounding errors',
                                'Linear4bit.merge exists and warns about re-quantisation'),
        'bitsandbytes.cuda_libs': dict(wheel=B.name, file='bitsandbytes/libbitsandbytes_cuda*.so', matches=[dict(line=None, text=n) for n in bnb_libs],
                                       how='CUDA binaries shipped in the wheel (zip listing)'),
    }
    early = [w for w in sorted(dest.glob('transformers-4.4*.whl'))]
    return dict(
        _meta=dict(script='tools/old_library_evidence.py', index=INDEX, generated=datetime.date.today().isoformat(),
                   pip=subprocess.run([sys.executable, '-m', 'pip', '--version'], capture_output=True, text=True).stdout.split(' from ')[0],
                   downloaded=PINS + EARLY, resolved=RESOLVE),
        wheels={w.name.split('-py')[0]: wheel_info(w) for w in (T, P, B, *early)},
        facts=facts,
        numpy_in_paligemma_processor={w.name.split('-')[1]: numpy_uses(w) for w in early},
        resolution=resolve(RESOLVE, dest/'report.json'))


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--wheels', default='/tmp/old_library_wheels', help='download folder (kept)')
    ap.add_argument('--out', default=str(Path(__file__).resolve().parents[1]/'riscm_paper'/'library_evidence.json'))
    ap.add_argument('--no-download', action='store_true', help='use the wheels already in --wheels')
    a = ap.parse_args()
    dest = Path(a.wheels); dest.mkdir(parents=True, exist_ok=True)
    if not a.no_download: download(PINS + EARLY, dest)
    ev = evidence(dest)
    Path(a.out).write_text(json.dumps(ev, indent=1, ensure_ascii=False) + '\n')
    print(f"wrote {a.out}: {len(ev['facts'])} facts, resolution resolved={ev['resolution']['resolved']}")
