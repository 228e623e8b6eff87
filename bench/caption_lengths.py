"""The length distribution of the real RISC(M) captions, for bench rows whose batches have real lengths (issue 28).

Reads `captions_partial.csv` (the real captions of 19,321 images, `../shared/data/riscm/`) and writes
bench/caption_lengths.json: how many captions have each length in tokens, counting words and punctuation marks
separately, as the demo processor's word-level tokenizer does. No caption text is kept, only the counts. The real
Gemma tokenizer splits some rare words into pieces, so its counts are a little larger: these lengths are a floor.

    python bench/caption_lengths.py ../shared/data/riscm/captions_partial.csv
"""
import json, re, sys
from collections import Counter
from pathlib import Path
import pandas as pd

def lengths(csv:Path) -> dict:
    "{tokens: captions} over every non-empty caption of `csv`."
    df = pd.read_csv(csv)
    caps = [c for col in df.columns if col.startswith('caption_') for c in df[col].dropna() if str(c).strip()]
    return dict(sorted(Counter(len(re.findall(r"\w+|[^\w\s]", str(c))) for c in caps).items()))

if __name__ == '__main__':
    src = Path(sys.argv[1] if len(sys.argv) > 1 else '../shared/data/riscm/captions_partial.csv')
    counts = lengths(src)
    out = Path(__file__).parent/'caption_lengths.json'
    out.write_text(json.dumps(dict(source=src.name, unit='words and punctuation marks (the demo tokenizer\'s tokens; Gemma\'s are a little more)',
                                   captions=sum(counts.values()), counts={str(k): v for k, v in counts.items()}), indent=1) + '\n')
    print(out, sum(counts.values()), 'captions')
