#!/usr/bin/env python3
"""PyTorch CPU baseline of recur's encoder-decoder (seq2seq) training throughput.

Trains bench/seq2seq_torch_model.py's Seq2Seq (the model of scripts/torch_golden_seq2seq.py's
fixture: embedding -> encoder over the packed source -> bridge if bidirectional -> decoder from the
encoder's final states -> Luong attention -> linear head) with teacher forcing on character pairs:

- data: a TSV file of `source<TAB>target` lines (--pairs, as `recur data --task seq2seq` writes),
  or, without --pairs, --dates N generated pairs ("4 March 1997" -> "1997-03-04" in a few
  formats, seeded). Character vocabularies are built from the pairs: source <pad> + its
  characters; target <pad>, <bos>, <eos> + its characters. Decoder inputs are <bos> + target,
  targets are target + <eos>;
- every step takes the next B pairs in file order (--shuffle: a seeded shuffle per epoch; an
  epoch's incomplete last batch is left out), pads them to the batch's longest source and target,
  packs the source with pack_padded_sequence(enforce_sorted=False), and runs the decoder over the
  padded decoder inputs (padding comes last, so it never reaches a real position);
- softmax cross-entropy averaged over the real target tokens (padding is -1, ignored);
- Adam (--lr, default 2e-3, recur's default) and clip_grad_norm_ at --clip (default 5, recur's
  default; 0 turns it off). No dropout.

A step's time runs from picking its pairs to the end of the optimizer update. The first --warmup
steps are not timed; the figure is the total real tokens over the total time of the --steps steps
after them. Target tokens count each real target character plus the <eos> of every pair (padding
excluded); source tokens the real source characters. Prints one JSON line:

  {"framework": "torch", "target_tokens_per_s", "source_tokens_per_s", "steps", "seconds",
   "threads", "loss_first", "loss_last", ...}

loss_first is the loss of the very first step (warm-up included, before any update), loss_last
that of the last step. step_median_target_tokens_per_s is the median of the timed steps' own
rates: a figure far below it marks a run that another process stalled. --verbose also prints a
JSON line per step to stderr.

  ~/.venvs/torch-ref/bin/python bench/baseline_torch_seq2seq.py --pairs dates.tsv --threads 2
  ~/.venvs/torch-ref/bin/python bench/baseline_torch_seq2seq.py --dates 20000 --steps 20 --threads 2
"""
import argparse
import json
import os
import random
import statistics
import sys
import time

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seq2seq_torch_model import Seq2Seq, seq2seq_loss  # noqa: E402  (the one definition of the model)

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--pairs", help="TSV file, source<TAB>target per line")
p.add_argument("--dates", type=int, default=20000, help="without --pairs: generate N date pairs (default 20000)")
p.add_argument("--cell", choices=("lstm", "gru", "rnn"), default="lstm")
p.add_argument("--hidden", type=int, default=256, help="H")
p.add_argument("--embed", type=int, default=None, help="E (default: H)")
p.add_argument("--layers", type=int, default=1, help="L")
p.add_argument("--bidirectional", action="store_true", help="bidirectional encoder (with the bridge)")
p.add_argument("--attention", choices=("none", "dot", "general"), default="general")
p.add_argument("--batch", type=int, default=64, help="B, pairs per step")
p.add_argument("--steps", type=int, default=30, help="timed steps after the warm-up")
p.add_argument("--warmup", type=int, default=3, help="steps before the timed ones")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--lr", type=float, default=2e-3)
p.add_argument("--clip", type=float, default=5.0, help="gradient global-norm clip (0: none)")
p.add_argument("--shuffle", action="store_true", help="a seeded shuffle per epoch instead of file order")
p.add_argument("--seed", type=int, default=1)
p.add_argument("--verbose", action="store_true", help="a JSON line per step on stderr")
a = p.parse_args()
if a.steps < 1 or a.warmup < 0 or a.batch < 1:
    sys.exit("--steps and --batch must be at least 1, --warmup at least 0")

torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
rng = random.Random(a.seed)


# ---- data ---------------------------------------------------------------------------------------
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]


def date_pairs(n, seed):
    """n (source, target) pairs: a date in one of a few human formats -> YYYY-MM-DD."""
    r = random.Random(seed)
    out = []
    for _ in range(n):
        y, m, d = r.randint(1900, 2099), r.randint(1, 12), r.randint(1, 28)
        name = MONTHS[m - 1]
        src = r.choice([
            f"{d} {name} {y}", f"{name} {d}, {y}", f"{d} {name[:3]} {y}", f"{name[:3]} {d} {y}",
            f"{d:02d}/{m:02d}/{y}", f"{d}.{m}.{y}", f"{y}/{m}/{d}", f"{name.capitalize()} {d} {y}",
        ])
        out.append((src, f"{y:04d}-{m:02d}-{d:02d}"))
    return out


def read_pairs(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if "\t" not in line:
                sys.exit(f"{path}:{i}: no tab between source and target")
            src, tgt = line.split("\t", 1)
            if src:  # an empty source has nothing to attend to
                out.append((src, tgt))
    return out


pairs = read_pairs(a.pairs) if a.pairs else date_pairs(a.dates, a.seed)
if len(pairs) < a.batch:
    sys.exit(f"{len(pairs)} pairs, fewer than one batch of {a.batch}")
src_chars = sorted({c for s, _ in pairs for c in s})
tgt_chars = sorted({c for _, t in pairs for c in t})
src_id = {c: i + 1 for i, c in enumerate(src_chars)}  # 0 <pad>
BOS, EOS = 1, 2
tgt_id = {c: i + 3 for i, c in enumerate(tgt_chars)}  # 0 <pad>, 1 <bos>, 2 <eos>
Vs, Vt = len(src_id) + 1, len(tgt_id) + 3
examples = []  # (source ids, decoder inputs, targets)
for s, t in pairs:
    ids = [tgt_id[c] for c in t]
    examples.append((torch.tensor([src_id[c] for c in s]), torch.tensor([BOS] + ids), torch.tensor(ids + [EOS])))

# ---- model and training -------------------------------------------------------------------------
H = a.hidden
model = Seq2Seq(a.cell, Vs, Vt, a.embed or H, H, a.layers, a.bidirectional, a.attention)
opt = torch.optim.Adam(model.parameters(), lr=a.lr)

order, cursor = [], 0
losses, times, tgt_tokens, src_tokens = [], [], [], []
for step in range(1, a.warmup + a.steps + 1):
    t0 = time.perf_counter()
    if cursor + a.batch > len(order):  # a new epoch
        order, cursor = list(range(len(examples))), 0
        if a.shuffle:
            rng.shuffle(order)
    batch = [examples[i] for i in order[cursor:cursor + a.batch]]
    cursor += a.batch
    lengths = torch.tensor([len(x) for x, _, _ in batch])
    source = pad_sequence([x for x, _, _ in batch])  # [S, N], padded with 0
    dec_in = pad_sequence([d for _, d, _ in batch])  # [T, N]
    targets = pad_sequence([y for _, _, y in batch], padding_value=-1)  # [T, N]
    count = sum(len(y) for _, _, y in batch)
    loss = seq2seq_loss(model(source, lengths, dec_in), targets) / count
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if a.clip > 0:
        nn.utils.clip_grad_norm_(model.parameters(), a.clip)
    opt.step()
    dt = time.perf_counter() - t0
    losses.append(loss.item())
    times.append(dt)
    tgt_tokens.append(count)
    src_tokens.append(int(lengths.sum()))
    if a.verbose:
        print(json.dumps({"step": step, "loss": round(losses[-1], 4), "target_tokens": count,
                          "source_tokens": src_tokens[-1], "seconds": round(dt, 5)}), file=sys.stderr, flush=True)

w = a.warmup
seconds = sum(times[w:])
print(json.dumps({
    "framework": "torch",
    "target_tokens_per_s": round(sum(tgt_tokens[w:]) / seconds, 1),
    "source_tokens_per_s": round(sum(src_tokens[w:]) / seconds, 1),
    "steps": a.steps,
    "seconds": round(seconds, 4),
    "threads": torch.get_num_threads(),
    "loss_first": round(losses[0], 5),
    "loss_last": round(losses[-1], 5),
    "step_median_target_tokens_per_s": round(statistics.median(c / t for c, t in zip(tgt_tokens[w:], times[w:])), 1),
    "warmup": w,
    "config": {"cell": a.cell, "hidden": H, "embed": a.embed or H, "layers": a.layers,
               "bidirectional": a.bidirectional, "attention": a.attention, "batch": a.batch,
               "lr": a.lr, "clip": a.clip, "shuffle": a.shuffle},
    "data": a.pairs or f"dates:{a.dates}",
    "pairs": len(pairs), "sourceVocab": Vs, "targetVocab": Vt,
    "torch": torch.__version__,
}))
