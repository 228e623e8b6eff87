"""Issue 10, captioning: where the time goes in `generate_captions` at full size, and what compile and the sampler change.

Runs on one GPU with the random-weight PaliGemma-3B of bench/bench.py. Prints one JSON line per measurement.
    python bench/proto/proto_caption.py WORK_DIR
"""
import json, os, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parents[1]))
from bench import inputs
from riscm_paper.data import load_riscm
from riscm_paper.evaluation import generate_captions, load_for_eval, image_batches, NucleusSampler, auto_batch_size
from riscm_paper.model import compile_layers
from transformers import LogitsProcessorList

work = Path(sys.argv[1]); N = int(os.environ.get('N', 2048))
T0 = time.time()
def log(**kw): print(json.dumps(dict(t=round(time.time() - T0, 1), **kw)), flush=True)
data, base = inputs(work)
paths = (load_riscm(data).path.tolist() * (N // 1200 + 1))[:N]
model, proc = load_for_eval(base)
log(what='loaded', auto_batch=auto_batch_size(model, 263, 32), gib=torch.cuda.memory_allocated() / 2**30)

def timed(name, **kw):
    generate_captions(model, proc, paths[:kw.get('batch_size', 512) or 512], progress=False, **kw)  # warm-up
    torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats(); t = time.perf_counter()
    caps = generate_captions(model, proc, paths, progress=False, **kw)
    torch.cuda.synchronize(); s = time.perf_counter() - t
    log(what=name, captions_per_s=round(len(caps) / s, 1), seconds=round(s, 2), peak_gib=round(torch.cuda.max_memory_allocated() / 2**30, 1),
        kw={k: v for k, v in kw.items()}, sample=caps[0][:60])
    return caps

# 1. the new path: per-image nucleus sampler, DataLoader workers, auto batch
timed('nucleus auto batch, 8 workers', batch_size=0, workers=8)
timed('nucleus 512, 8 workers', batch_size=512, workers=8)
g = timed('greedy 512, 8 workers', decode='greedy', batch_size=512, workers=8)

# 2. HF's own sampler on the same pre-processed batch (the old path's maths), and the parts of one call
b = next(iter(image_batches(proc, paths[:512], chunk=512, workers=8)))
b = {k: v.cuda() for k, v in b.items()}; b['pixel_values'] = b['pixel_values'].to(model.dtype)
L = b['input_ids'].shape[1]
def gen(**kw):
    torch.cuda.synchronize(); t = time.perf_counter()
    with torch.inference_mode(): out = model.generate(**b, max_new_tokens=32, min_new_tokens=32, **kw)
    torch.cuda.synchronize(); return time.perf_counter() - t
for name, kw in [('hf nucleus do_sample', dict(do_sample=True, top_p=0.95, top_k=0)),
                 ('our sampler', dict(do_sample=False, logits_processor=LogitsProcessorList([NucleusSampler(0.95, 0, list(range(512)), L)]))),
                 ('greedy', dict(do_sample=False))]:
    gen(**kw); s = gen(**kw); log(what=f'generate B=512 32 tokens: {name}', captions_per_s=round(512 / s, 1), seconds=round(s, 3))
torch.cuda.synchronize(); t = time.perf_counter()
with torch.inference_mode(): model(**b, logits_to_keep=1)
torch.cuda.synchronize(); log(what='prefill B=512', seconds=round(time.perf_counter() - t, 3))
with torch.inference_mode(): model(**b, logits_to_keep=1)
torch.cuda.synchronize(); t = time.perf_counter()
with torch.inference_mode(): model(**b, logits_to_keep=1)
torch.cuda.synchronize(); log(what='prefill B=512 (2nd)', seconds=round(time.perf_counter() - t, 3))

# 3. a profile of 8 decoding steps with our sampler
from torch.profiler import profile, ProfilerActivity
with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
    with torch.inference_mode(): model.generate(**b, max_new_tokens=8, min_new_tokens=8, do_sample=False,
                                                logits_processor=LogitsProcessorList([NucleusSampler(0.95, 0, list(range(512)), L)]))
    torch.cuda.synchronize()
print(prof.key_averages().table(sort_by='cuda_time_total', row_limit=30), flush=True)
print(prof.key_averages().table(sort_by='cpu_time_total', row_limit=15), flush=True)

# 4. compiled layers
t = time.time(); compile_layers(model); log(what='compile_layers')
timed('compiled: nucleus 512, 8 workers', batch_size=512, workers=8)
gc = timed('compiled: greedy 512, 8 workers', decode='greedy', batch_size=512, workers=8)
log(what='compiled greedy equals eager greedy', same=sum(a == b for a, b in zip(g, gc)), of=len(g))
gen(do_sample=False); s = gen(do_sample=False); log(what='compiled generate B=512 greedy', captions_per_s=round(512 / s, 1))
with torch.inference_mode(): model(**b, logits_to_keep=1)
torch.cuda.synchronize(); t = time.perf_counter()
with torch.inference_mode(): model(**b, logits_to_keep=1)
torch.cuda.synchronize(); log(what='compiled prefill B=512', seconds=round(time.perf_counter() - t, 3))
timed('compiled: nucleus 1024, 8 workers', batch_size=1024, workers=8)
