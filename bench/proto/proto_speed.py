"""Issue 10 phase 1: prototype + measure the fast path for PaliGemma-3B Q-LoRA training and captioning.
Standalone but for riscm_paper.model.paligemma_3b_config (run from the repo root with it on PYTHONPATH). One device call: python3 bench/proto/proto_speed.py
Random full-size weights; timings are what matter. Writes rows to $OUT/results.jsonl and prints a table last."""
import os, time, json, gc, math, io, sys, traceback
import torch, torch.nn as nn, torch.nn.functional as F

T0 = time.time(); BUDGET = float(os.environ.get('BUDGET_S', 530)); OUT = os.environ.get('OUT', '/tmp/out')
os.makedirs(OUT, exist_ok=True); ROWS = []; DEV = 'cuda'
PHASE = os.environ.get('PHASE', 'all')  # '1': first call's variants, '2': second call's, 'all': both
P1, P2 = PHASE in ('all', '1'), PHASE in ('all', '2')
def el(): return time.time() - T0
def log(*a): print(f'[{el():6.1f}s]', *a, flush=True)
def row(**kw):
    ROWS.append(kw); log('ROW', kw)
    with open(f'{OUT}/results.jsonl', 'a') as f: f.write(json.dumps(kw) + '\n')
def gib(): return torch.cuda.max_memory_allocated() / 2**30
def free():
    gc.collect(); torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()

import bitsandbytes as bnb, transformers, peft
from transformers import (PaliGemmaConfig, GemmaConfig, SiglipVisionConfig, PaliGemmaForConditionalGeneration,
                          BitsAndBytesConfig)
from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
log('torch', torch.__version__, 'transformers', transformers.__version__, 'peft', peft.__version__, 'bnb', bnb.__version__,
    torch.cuda.get_device_name())

from riscm_paper.model import paligemma_3b_config  # the real checkpoint's configuration (needs the repo on PYTHONPATH)

LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj', 'multi_modal_projector.linear']
CFG = paligemma_3b_config(); IMG = 257_152; N_IMG = 256; PROMPT_LEN = 6  # "describe this image.\n" ~ 6 Gemma tokens

def make_batch(bs, seed, device=DEV):
    "256 image tokens + <bos> + prompt | caption (12-20 tokens) + <eos>, right-padded; labels -100 on prefix/pad."
    g = torch.Generator().manual_seed(seed)
    caps = [torch.randint(5, IMG, (int(torch.randint(12, 21, (1,), generator=g)),), generator=g) for _ in range(bs)]
    prompt = torch.randint(5, IMG, (PROMPT_LEN,), generator=g)
    n_pre = N_IMG + 1 + PROMPT_LEN; seq = n_pre + max(len(c) for c in caps) + 1
    ids = torch.zeros(bs, seq, dtype=torch.long); am = torch.zeros_like(ids); tt = torch.zeros_like(ids)
    lab = torch.full_like(ids, -100)
    for i, c in enumerate(caps):
        suf = torch.cat([c, torch.tensor([1])]); L = n_pre + len(suf)
        ids[i, :L] = torch.cat([torch.full((N_IMG,), IMG), torch.tensor([2]), prompt, suf])
        am[i, :L] = 1; tt[i, n_pre:L] = 1; lab[i, n_pre:L] = suf
    pix = torch.randn(bs, 3, 224, 224, generator=g)
    return {k: v.to(device) for k, v in dict(input_ids=ids, attention_mask=am, token_type_ids=tt, labels=lab,
                                             pixel_values=pix.to(torch.bfloat16)).items()}

# ---------------------------------------------------------------- the pieces proposed for the library
def caption_loss(model, inputs, num_items_in_batch=None):
    """Cross-entropy on caption positions only: lm_head is applied to the hidden states whose *shifted* label is not
    -100 (via `logits_to_keep` = boolean mask). Sum / num_items_in_batch (Trainer's count over labels[..., 1:] != -100
    of all micro-batches of the optimiser step) == HF ForCausalLMLoss; mean over this micro-batch when None."""
    inputs = dict(inputs); labels = inputs.pop('labels')
    shift = F.pad(labels[:, 1:], (0, 1), value=-100)          # target of position t is labels[t+1]
    keep = shift != -100
    logits = model(**inputs, logits_to_keep=keep, use_cache=False).logits   # (n_kept, vocab), softcap applied
    loss = F.cross_entropy(logits.float(), shift[keep], reduction='sum')
    return loss / (num_items_in_batch if num_items_in_batch is not None else keep.sum())

def caption_loss_suffix(model, inputs, num_items_in_batch=None, prefix_len=None):
    """Sync-free variant: every row has the same prefix (256 image tokens + <bos> + fixed prompt), so the caption
    targets lie in the last k = seq - prefix_len + 1 positions (a python int: no nonzero()/host sync). Padding and
    the final position carry -100 and are ignored. Same sum / num_items_in_batch rule."""
    prefix_len = prefix_len or N_IMG + 1 + PROMPT_LEN
    inputs = dict(inputs); labels = inputs.pop('labels')
    k = labels.shape[1] - prefix_len + 1
    shift = F.pad(labels[:, 1:], (0, 1), value=-100)[:, -k:]
    logits = model(**inputs, logits_to_keep=k, use_cache=False).logits          # (B, k, vocab)
    loss = F.cross_entropy(logits.float().flatten(0, 1), shift.flatten(), ignore_index=-100, reduction='sum')
    return loss / (num_items_in_batch if num_items_in_batch is not None else (shift != -100).sum())

def full_loss(model, inputs, num_items_in_batch=None):
    "What Trainer does today: the model's own loss (full logits), num_items_in_batch passed as loss kwarg."
    kw = {} if num_items_in_batch is None else {'num_items_in_batch': num_items_in_batch}
    return model(**inputs, use_cache=False, **kw).loss

class DequantLinear(nn.Linear):
    "Frozen weight dequantised once from NF4. Like bnb's Linear4bit: compute in the weight's dtype (bf16), return the input's dtype."
    OUT_IN_INPUT_DTYPE = True   # False: plain nn.Linear behaviour (bf16 out under autocast), as in the first call
    def forward(self, x):
        b = None if self.bias is None else self.bias.to(self.weight.dtype)
        y = F.linear(x.to(self.weight.dtype), self.weight, b)
        return y.to(x.dtype) if self.OUT_IN_INPUT_DTYPE else y

@torch.no_grad()
def dequantize_4bit_cache(model):
    """Replace every bitsandbytes Linear4bit (frozen NF4 base layers, also those under LoRA wrappers) by a frozen
    nn.Linear holding the weight dequantised once: the same numbers Q-LoRA dequantises at every forward/backward."""
    n = 0
    for mod in list(model.modules()):
        for cname, child in list(mod.named_children()):
            if isinstance(child, bnb.nn.Linear4bit):
                w = bnb.functional.dequantize_4bit(child.weight.data, child.weight.quant_state)
                w = w.to(child.compute_dtype or torch.bfloat16)
                lin = DequantLinear(child.in_features, child.out_features, bias=child.bias is not None,
                                device=w.device, dtype=w.dtype)
                lin.weight = nn.Parameter(w, requires_grad=False)
                if child.bias is not None: lin.bias = nn.Parameter(child.bias.data.to(w.dtype), requires_grad=False)
                setattr(mod, cname, lin); n += 1
    gc.collect(); torch.cuda.empty_cache()
    return n

# ---------------------------------------------------------------- timing
def lora_params(model): return [p for p in model.parameters() if p.requires_grad]

def time_train(name, model, mb, ga, loss_fn, n_warm=2, n_time=5, pool=3, note=''):
    free(); params = lora_params(model)
    opt = bnb.optim.AdamW8bit(params, lr=2e-5, betas=(0.9, 0.999), weight_decay=1e-6)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 3))
    batches = [[make_batch(mb, 1000 * k + j) for j in range(ga)] for k in range(pool)]
    model.train(); losses = []
    for step in range(n_warm + n_time):
        if step == n_warm: torch.cuda.synchronize(); t = time.perf_counter()
        eff = batches[step % pool]
        n_items = sum((b['labels'][:, 1:] != -100).sum() for b in eff)
        for b in eff:
            with torch.autocast('cuda', dtype=torch.bfloat16):
                loss = loss_fn(model, b, n_items)
            loss.backward(); losses.append(loss.item())
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step(); sched.step(); opt.zero_grad(set_to_none=True)
    torch.cuda.synchronize(); dt = time.perf_counter() - t
    sps = n_time * mb * ga / dt
    row(kind='train', variant=name, mb=mb, ga=ga, samples_per_s=round(sps, 2), s_per_step=round(dt / n_time, 4),
        peak_gib=round(gib(), 2), finite=all(math.isfinite(l) for l in losses), note=note)
    del opt, sched, batches; free()
    return sps

def grads_of(model, loss_fn, b):
    model.zero_grad(set_to_none=True)
    n = (b['labels'][:, 1:] != -100).sum()
    with torch.autocast('cuda', dtype=torch.bfloat16):
        loss = loss_fn(model, b, n)
    loss.backward()
    g = torch.cat([p.grad.float().flatten() for p in lora_params(model)])
    model.zero_grad(set_to_none=True)
    return loss.item(), g

def rel(a, b): return (a - b).norm().item() / max(b.norm().item(), 1e-30)

def set_gc(model, on):
    if on: model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={'use_reentrant': False}); model.enable_input_require_grads()
    else: model.gradient_checkpointing_disable()

def guard(sec, what):
    if el() > BUDGET - sec: log('SKIP (time)', what); row(kind='skip', variant=what); return False
    return True

# ---------------------------------------------------------------- 1. random full-size checkpoint
CK = '/tmp/pg3b'
log('building random 3B bf16 model')
torch.manual_seed(0)
prev = torch.get_default_dtype(); torch.set_default_dtype(torch.bfloat16)
with torch.device(DEV): m = PaliGemmaForConditionalGeneration(CFG)
torch.set_default_dtype(prev)
log('params', sum(p.numel() for p in m.parameters())); m.save_pretrained(CK); del m; free(); log('saved')

# ---------------------------------------------------------------- 2. Q-LoRA (paper maths)
nf4 = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type='nf4', bnb_4bit_use_double_quant=True,
                         bnb_4bit_compute_dtype=torch.bfloat16)
base = PaliGemmaForConditionalGeneration.from_pretrained(CK, dtype=torch.bfloat16, device_map={'': 0},
                                                         quantization_config=nf4)
base = prepare_model_for_kbit_training(base, use_gradient_checkpointing=False)
lcfg = LoraConfig(r=8, lora_alpha=8, lora_dropout=0.0, target_modules=LORA_TARGETS, task_type='CAUSAL_LM')
model = get_peft_model(base, lcfg); log('nf4 peft loaded')
tr, tot = model.get_nb_trainable_parameters(); row(kind='check', variant='param count nf4', trainable=tr, total=tot,
                                                   ok=(tr == 11_324_416 and tot == 2_923_466_480))
model.train()
# equivalence: caption-only vs full logits (same NF4 model, same LoRA weights)
for p in lora_params(model): p.data.add_(torch.randn_like(p) * 0.01)   # make lora_B non-zero so all grads are live
b = make_batch(8, 7)
lora0 = [p.detach().clone() for p in lora_params(model)]   # restored before the cache check (timings below step the optimiser)
lf, gf = grads_of(model, full_loss, b); lc, gc_ = grads_of(model, caption_loss, b)
row(kind='check', variant='caption-only(mask) vs full logits (nf4)', loss_full=lf, loss_cap=lc,
    loss_rel=abs(lc - lf) / abs(lf), grad_rel=rel(gc_, gf))
ls_, gs_ = grads_of(model, caption_loss_suffix, b)
row(kind='check', variant='caption-only(suffix) vs full logits (nf4)', loss_rel=abs(ls_ - lf) / abs(lf), grad_rel=rel(gs_, gf))
lc2, gc2 = grads_of(model, caption_loss, b)
row(kind='check', variant='run-to-run same path (nf4, caption) = noise floor', loss_rel=abs(lc2 - lc) / abs(lc), grad_rel=rel(gc2, gc_))
lf2, gf2 = grads_of(model, full_loss, b)
row(kind='check', variant='run-to-run same path (nf4, full) = noise floor', loss_rel=abs(lf2 - lf) / abs(lf), grad_rel=rel(gf2, gf))
def accum_grads(loss_fn, parts, n):
    model.zero_grad(set_to_none=True)
    for q in parts:
        with torch.autocast('cuda', dtype=torch.bfloat16): loss_fn(model, q, n).backward()
    g = torch.cat([p.grad.float().flatten() for p in lora_params(model)]); model.zero_grad(set_to_none=True); return g
n8 = (b['labels'][:, 1:] != -100).sum()
halves = [{k: v[:4] for k, v in b.items()}, {k: v[4:] for k, v in b.items()}]
row(kind='check', variant='4x2 accumulation (caption, num_items) vs 8x1 full', grad_rel=rel(accum_grads(caption_loss, halves, n8), gf))

if P1:
    time_train('nf4 full-logits 8x1 noGC (today maths, no ckpt)', model, 8, 1, full_loss)
    time_train('nf4 caption-only(mask) 8x1 noGC', model, 8, 1, caption_loss)
    if guard(300, 'nf4 caption-only 2x4 GC (paper split)'):
        set_gc(model, True); time_train('nf4 caption-only 2x4 GC', model, 2, 4, caption_loss, n_warm=1, n_time=2); set_gc(model, False)
if P2:  # interleaved, 8 timed steps, to separate the loss variants from noise/order
    for rep in (1, 2):
        time_train(f'nf4 full-logits 8x1 noGC #{rep}', model, 8, 1, full_loss, n_time=8)
        time_train(f'nf4 caption(mask) 8x1 noGC #{rep}', model, 8, 1, caption_loss, n_time=8)
        time_train(f'nf4 caption(suffix) 8x1 noGC #{rep}', model, 8, 1, caption_loss_suffix, n_time=8)

# dequantised cache: layer check, then whole model
lin4 = next(mm for mm in model.modules() if isinstance(mm, bnb.nn.Linear4bit) and mm.in_features == 2048 and mm.out_features == 16384)
for xdt in (torch.bfloat16, torch.float32):
    x = torch.randn(64, 2048, device=DEV, dtype=xdt)
    with torch.no_grad(), torch.autocast('cuda', dtype=torch.bfloat16):
        y4 = lin4(x); wd = bnb.functional.dequantize_4bit(lin4.weight.data, lin4.weight.quant_state).to(torch.bfloat16)
        dl = DequantLinear(2048, 16384, bias=False, device=DEV, dtype=torch.bfloat16); dl.weight.data.copy_(wd); yc = dl(x)
    row(kind='check', variant=f'Linear4bit vs DequantLinear (gate_proj, x {xdt}, autocast)', bitwise=bool(torch.equal(y4, yc)),
        dtypes=f'{y4.dtype}/{yc.dtype}', max_abs=(y4.float() - yc.float()).abs().max().item())
del wd, x, y4, yc, dl
n = dequantize_4bit_cache(model); free(); log('dequantised', n, 'layers; mem now GiB', torch.cuda.memory_allocated() / 2**30)
row(kind='check', variant='cache memory', layers=n, allocated_gib=round(torch.cuda.memory_allocated() / 2**30, 2))
for p_, q_ in zip(lora_params(model), lora0): p_.data.copy_(q_)
lcc, gcc = grads_of(model, caption_loss, b)
row(kind='check', variant='nf4-cache(faithful dtype) vs nf4 (caption loss, grads)', loss_rel=abs(lcc - lc) / abs(lc), grad_rel=rel(gcc, gc_))
lfc, gfc = grads_of(model, full_loss, b)
row(kind='check', variant='nf4-cache(faithful) caption vs nf4 full', loss_rel=abs(lcc - lf) / abs(lf), grad_rel=rel(gcc, gf))
DequantLinear.OUT_IN_INPUT_DTYPE = False
lcb, gcb = grads_of(model, caption_loss, b)
row(kind='check', variant='nf4-cache(bf16 out, run-1 style) vs nf4 (caption)', loss_rel=abs(lcb - lc) / abs(lc), grad_rel=rel(gcb, gc_))
lcb2, gcb2 = grads_of(model, caption_loss, b)
row(kind='check', variant='run-to-run (nf4-cache bf16out, caption) = noise floor', loss_rel=abs(lcb2 - lcb) / abs(lcb), grad_rel=rel(gcb2, gcb))
if PHASE == 'check':
    for r in ROWS: print(' | '.join(f'{k}={v}' for k, v in r.items()))
    sys.exit(0)
if P1:
    time_train('nf4-cache(bf16out) caption(mask) 8x1 noGC', model, 8, 1, caption_loss)
    time_train('nf4-cache(bf16out) full-logits 8x1 noGC', model, 8, 1, full_loss)
    if guard(330, 'nf4-cache caption-only 4x2 noGC'): time_train('nf4-cache caption-only 4x2 noGC', model, 4, 2, caption_loss)
    if guard(320, 'nf4-cache caption-only 8x1 GC'):
        set_gc(model, True); time_train('nf4-cache caption-only 8x1 GC', model, 8, 1, caption_loss); set_gc(model, False)
    if guard(310, 'nf4-cache caption-only 2x4 GC'):
        set_gc(model, True); time_train('nf4-cache caption-only 2x4 GC', model, 2, 4, caption_loss, n_time=3); set_gc(model, False)
if P2:
    DequantLinear.OUT_IN_INPUT_DTYPE = True
    time_train('nf4-cache(faithful) full-logits 8x1 noGC', model, 8, 1, full_loss, n_time=8)
    time_train('nf4-cache(faithful) caption(mask) 8x1 noGC', model, 8, 1, caption_loss, n_time=8)
    time_train('nf4-cache(faithful) caption(suffix) 8x1 noGC', model, 8, 1, caption_loss_suffix, n_time=8)
    time_train('nf4-cache(faithful) caption(suffix) 4x2 noGC', model, 4, 2, caption_loss_suffix, n_time=6)
    DequantLinear.OUT_IN_INPUT_DTYPE = False
    time_train('nf4-cache(bf16out) caption(suffix) 8x1 noGC', model, 8, 1, caption_loss_suffix, n_time=8)
    time_train('nf4-cache(bf16out) full-logits 8x1 noGC #2', model, 8, 1, full_loss, n_time=8)
del model, base, lin4; free()

# ---------------------------------------------------------------- 3. `fast`: bf16 base + LoRA, big micro-batch
base = PaliGemmaForConditionalGeneration.from_pretrained(CK, dtype=torch.bfloat16, device_map={'': 0})
model = get_peft_model(base, lcfg); model.train()
tr, tot = model.get_nb_trainable_parameters(); row(kind='check', variant='param count bf16', trainable=tr, total=tot)
if P1:
    for mb in (32, 64):
        if guard(230, f'bf16 caption-only {mb}x1'): time_train(f'bf16 caption-only {mb}x1 noGC', model, mb, 1, caption_loss, n_time=4)
    if guard(210, 'bf16 full 32x1'): time_train('bf16 full-logits 32x1 noGC', model, 32, 1, full_loss, n_warm=1, n_time=3)
if P2:
    time_train('bf16 caption(suffix) 64x1 noGC', model, 64, 1, caption_loss_suffix, n_time=4)
    time_train('bf16 caption(mask) 64x1 noGC #2', model, 64, 1, caption_loss, n_time=4)
if P2 and guard(200, 'bf16 text+projector LoRA 64x1'):
    m2 = model.merge_and_unload(); del model; free()  # merged random LoRA (B~0): base again
    lcfg_tp = LoraConfig(r=8, lora_alpha=8, lora_dropout=0.0, task_type='CAUSAL_LM',
                         target_modules=r'.*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)|.*multi_modal_projector\.linear')
    model = get_peft_model(m2, lcfg_tp); model.train()
    tr, tot = model.get_nb_trainable_parameters(); row(kind='check', variant='param count bf16 text+projector', trainable=tr, total=tot)
    time_train('bf16 text+projector LoRA caption(suffix) 64x1 noGC', model, 64, 1, caption_loss_suffix, n_time=4)
    time_train('bf16 text+projector LoRA caption(suffix) 128x1 noGC', model, 128, 1, caption_loss_suffix, n_warm=1, n_time=3)

# ---------------------------------------------------------------- 4. captioning: merged bf16 model
model = model.merge_and_unload(); model.eval(); free()
def gen_inputs(B, pix=None):
    ids = torch.cat([torch.full((N_IMG,), IMG), torch.tensor([2]), torch.randint(5, IMG, (PROMPT_LEN,), generator=torch.Generator().manual_seed(1))])
    ids = ids.repeat(B, 1).to(DEV)
    if pix is None: pix = torch.randn(B, 3, 224, 224, device=DEV, dtype=torch.bfloat16)
    return dict(input_ids=ids, attention_mask=torch.ones_like(ids), token_type_ids=torch.zeros_like(ids), pixel_values=pix)
SAMPLE = dict(do_sample=True, top_p=0.95, top_k=0, max_new_tokens=32, min_new_tokens=32)
GREEDY = dict(do_sample=False, max_new_tokens=32, min_new_tokens=32)
def time_gen(name, B, kw, reps=2):
    free(); inp = gen_inputs(B)
    with torch.inference_mode():
        model.generate(**inp, **kw); torch.cuda.synchronize(); t = time.perf_counter()
        for _ in range(reps): out = model.generate(**inp, **kw)
        torch.cuda.synchronize(); dt = time.perf_counter() - t
    row(kind='gen', variant=name, batch=B, captions_per_s=round(reps * B / dt, 1), new_tokens=out.shape[1] - inp['input_ids'].shape[1],
        peak_gib=round(gib(), 2))
if P1:
    for B in (256, 512):
        if guard(150, f'gen nucleus {B}'): time_gen('nucleus dynamic-cache sdpa', B, SAMPLE)
    if guard(130, 'gen greedy 512'): time_gen('greedy dynamic-cache sdpa', 512, GREEDY)
    if guard(120, 'gen nucleus 1024'): time_gen('nucleus dynamic-cache sdpa', 1024, SAMPLE, reps=1)
    if guard(110, 'gen static 512'):
        try: time_gen('nucleus static-cache (no compile)', 512, dict(SAMPLE, cache_implementation='static', disable_compile=True), reps=1)
        except Exception as e: row(kind='error', variant='gen static', err=repr(e)[:300])
if P2:
    # where the time goes at B=512: prefill (vision + 263-token prefix, logits of last position only) vs 32 decode steps
    free(); inp = gen_inputs(512)
    with torch.inference_mode():
        for i in range(3):
            if i == 1: torch.cuda.synchronize(); t = time.perf_counter()
            model(**inp, logits_to_keep=1, use_cache=True)
        torch.cuda.synchronize(); tp = (time.perf_counter() - t) / 2
        vis = model.model.get_image_features(inp['pixel_values']); torch.cuda.synchronize(); t = time.perf_counter()
        vis = model.model.get_image_features(inp['pixel_values']); torch.cuda.synchronize(); tv = time.perf_counter() - t
        lg = torch.randn(512, 257216, device=DEV); torch.cuda.synchronize(); t = time.perf_counter()
        for _ in range(5): torch.sort(lg, descending=False, dim=-1)
        torch.cuda.synchronize(); ts = (time.perf_counter() - t) / 5
    row(kind='gen-breakdown', variant='B=512', prefill_s=round(tp, 3), vision_s=round(tv, 3), sort_512x257k_s=round(ts, 4),
        prefill_captions_per_s=round(512 / tp, 1))
    del vis, lg, inp
    time_gen('nucleus dynamic-cache sdpa #2', 512, SAMPLE)
    if guard(150, 'gen nucleus 768'): time_gen('nucleus dynamic-cache sdpa', 768, SAMPLE, reps=1)
    # GPU-side preprocessing: nvjpeg decode + antialiased bicubic resize + normalise
    try:
        import torchvision, numpy as np
        from torchvision.io import decode_jpeg, encode_jpeg
        from torchvision.transforms.v2 import functional as TF
        img = torch.from_numpy(np.random.default_rng(0).integers(0, 255, (3, 480, 640), dtype=np.uint8))
        jpg = encode_jpeg(img, quality=90); datas = [jpg.clone() for _ in range(512)]
        def gpu_pre(ds):
            ims = decode_jpeg(ds, device=DEV)
            x = torch.stack([TF.resize(i, [224, 224], interpolation=TF.InterpolationMode.BICUBIC, antialias=True) for i in ims])
            return ((x.float() / 255 - 0.5) / 0.5).to(torch.bfloat16)
        gpu_pre(datas); torch.cuda.synchronize(); t = time.perf_counter(); gpu_pre(datas); gpu_pre(datas); torch.cuda.synchronize()
        row(kind='loader', variant='GPU nvjpeg decode + resize + normalise (640x480 JPEG)', images_per_s=round(1024 / (time.perf_counter() - t), 1))
    except Exception as e: row(kind='error', variant='gpu preprocessing', err=repr(e)[:300])
    if guard(110, 'gen static+compile 512'):
        try:
            t0 = time.time(); time_gen('nucleus static-cache + auto torch.compile', 512, dict(SAMPLE, cache_implementation='static'), reps=2)
            log('static+compile incl. warm-up/compile took', time.time() - t0)
        except Exception as e: row(kind='error', variant='gen static compile', err=repr(e)[:300])

if P1 and guard(60, 'gen end-to-end loader'):
    try:
        from PIL import Image
        from transformers import SiglipImageProcessor
        import numpy as np
        buf = io.BytesIO(); Image.fromarray(np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)).save(buf, 'JPEG', quality=90)
        JPG = buf.getvalue()
        proc = SiglipImageProcessor(size={'height': 224, 'width': 224}, image_mean=[0.5] * 3, image_std=[0.5] * 3)
        class DS(torch.utils.data.Dataset):
            def __len__(self): return 2048
            def __getitem__(self, i):
                return proc(images=Image.open(io.BytesIO(JPG)).convert('RGB'), return_tensors='pt')['pixel_values'][0]
        B = 512; dl = torch.utils.data.DataLoader(DS(), batch_size=B, num_workers=14, pin_memory=True, prefetch_factor=2,
                                                  persistent_workers=False)
        t = time.perf_counter(); nimg = 0
        for pix in dl: nimg += len(pix)
        row(kind='loader', variant='JPEG decode + SiglipImageProcessor, 14 workers', images_per_s=round(nimg / (time.perf_counter() - t), 1))
        free(); t = time.perf_counter(); n = 0
        with torch.inference_mode():
            for pix in dl:
                inp = gen_inputs(len(pix), pix.to(DEV, torch.bfloat16, non_blocking=True))
                out = model.generate(**inp, **SAMPLE); n += len(pix)
        torch.cuda.synchronize(); dt = time.perf_counter() - t
        row(kind='gen', variant='END-TO-END loader(14w)+nucleus dynamic (incl. worker start)', batch=B, captions_per_s=round(n / dt, 1), peak_gib=round(gib(), 2))
    except Exception as e: row(kind='error', variant='end-to-end', err=repr(e)[:300])

print('\n==== TABLE (H200, %s, PHASE=%s) ====' % (time.strftime('%Y-%m-%d %H:%M'), PHASE))
for r in ROWS: print(' | '.join(f'{k}={v}' for k, v in r.items()))
log('done')
