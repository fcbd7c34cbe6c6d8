#!/usr/bin/env python3
"""PyTorch CPU baseline of recur's classifier and tagger training, for bench/tasks_vs_torch.sh.

Trains nn.Embedding(V, E) -> nn.LSTM/GRU/RNN(E, H, L, bidirectional) -> nn.Linear(D*H, C) on a
labelled file in recur's formats (classify: label<TAB>text lines; tag: CoNLL columns, token first,
tag last, a blank line between sentences), the way `recur train --task classify|tag` does:

- every step takes the next B examples of a shuffled epoch, pads them to the batch's longest and
  packs them with pack_padded_sequence(enforce_sorted=False), so no padding is computed;
- a classifier reads the top layer's h_n (both directions), a tagger every real position;
- softmax cross-entropy averaged over the examples (classify) or the real tokens (tag);
- Adam (lr 2e-3, recur's default) and clip_grad_norm_ at 5.

Prints one JSON line per step ({"step", "tokens", "seconds", "tokens_per_second"}), counting real
(unpadded) tokens, then a summary line whose tokens_per_second is the mean of the per-step rates
after the --warmup first steps (the statistic tasks_vs_torch.sh takes from recur's metrics.jsonl).
A step's time runs from picking its examples to the end of the optimizer update.

  python3 bench/baseline_torch_tasks.py --task tag --data names.conll --hidden 256 --layers 2 \\
      --batch 32 --steps 30 --warmup 3 --threads 2 --bidirectional
"""
import argparse, json, random, sys, time

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--task", choices=("classify", "tag"), required=True)
p.add_argument("--data", required=True, help="training file in recur's classify or tag format")
p.add_argument("--cell", choices=("lstm", "gru", "rnn"), default="lstm")
p.add_argument("--hidden", type=int, default=256, help="H")
p.add_argument("--layers", type=int, default=2, help="L")
p.add_argument("--embed", type=int, default=None, help="E (default: H, as recur)")
p.add_argument("--batch", type=int, default=32, help="B, examples per step")
p.add_argument("--bidirectional", action="store_true")
p.add_argument("--vocab", type=int, default=None,
               help="embedding rows V (default: the file's distinct tokens + <PAD> and <UNK>)")
p.add_argument("--steps", type=int, default=30, help="timed steps after the warm-up")
p.add_argument("--warmup", type=int, default=3, help="steps left out of the mean")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
rng = random.Random(a.seed)


# ---- data: recur's file formats --------------------------------------------------------------
def read_classify(path):
    out = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\r\n")
        if line.strip():
            label, text = line.split("\t", 1)
            out.append((text.split(), label))
    return out


def read_tag(path):
    out, tokens, tags = [], [], []
    for line in open(path, encoding="utf-8"):
        cols = line.split()
        if not cols:
            if tokens:
                out.append((tokens, tags))
            tokens, tags = [], []
        elif cols[0] != "-DOCSTART-":
            tokens.append(cols[0])
            tags.append(cols[-1])
    if tokens:
        out.append((tokens, tags))
    return out


raw = read_classify(a.data) if a.task == "classify" else read_tag(a.data)
words = sorted({w for toks, _ in raw for w in toks})
vocab = {w: i + 2 for i, w in enumerate(words)}  # 0 <PAD>, 1 <UNK>
V = max(a.vocab or 0, len(vocab) + 2)
labels = sorted({l for _, y in raw for l in ([y] if a.task == "classify" else y)})
lab = {l: i for i, l in enumerate(labels)}
C = len(labels)
examples = []
for toks, y in raw:
    ids = torch.tensor([vocab[w] for w in toks], dtype=torch.long)
    target = torch.tensor(lab[y]) if a.task == "classify" else torch.tensor([lab[t] for t in y], dtype=torch.long)
    examples.append((ids, target))
if len(examples) < a.batch:
    sys.exit(f"{a.data}: {len(examples)} examples, fewer than one batch of {a.batch}")


# ---- model: PyTorch's modules under recur's parameter names ----------------------------------
class Tagger(nn.Module):
    def __init__(s):
        super().__init__()
        E, H, D = a.embed or a.hidden, a.hidden, 2 if a.bidirectional else 1
        s.embedding = nn.Embedding(V, E)
        s.rnn = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[a.cell](
            E, H, a.layers, batch_first=True, bidirectional=a.bidirectional)
        s.head = nn.Linear(D * H, C)

    def forward(s, padded, lengths):
        packed = pack_padded_sequence(s.embedding(padded), lengths, batch_first=True, enforce_sorted=False)
        out, h = s.rnn(packed)
        if a.task == "tag":
            return s.head(out.data)  # [real tokens, C], in the packed order
        h = h[0] if a.cell == "lstm" else h  # [L*D, N, H]
        top = torch.cat([h[-2], h[-1]], 1) if a.bidirectional else h[-1]
        return s.head(top)  # [N, C]


model = Tagger()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
loss_fn = nn.CrossEntropyLoss()

# ---- training loop ----------------------------------------------------------------------------
order, cursor = [], 0
rates = []
for step in range(1, a.warmup + a.steps + 1):
    t0 = time.perf_counter()
    if cursor + a.batch > len(order):  # a new epoch; its incomplete last batch is left out, as recur's
        order, cursor = list(range(len(examples))), 0
        rng.shuffle(order)
    batch = [examples[i] for i in order[cursor:cursor + a.batch]]
    cursor += a.batch
    lengths = torch.tensor([len(x) for x, _ in batch])
    padded = nn.utils.rnn.pad_sequence([x for x, _ in batch], batch_first=True)
    if a.task == "tag":
        tags = nn.utils.rnn.pad_sequence([y for _, y in batch], batch_first=True)
        target = pack_padded_sequence(tags, lengths, batch_first=True, enforce_sorted=False).data
    else:
        target = torch.stack([y for _, y in batch])
    loss = loss_fn(model(padded, lengths), target)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    dt = time.perf_counter() - t0
    tokens = int(lengths.sum())
    rates.append(tokens / dt)
    print(json.dumps({"step": step, "loss": round(loss.item(), 4), "tokens": tokens,
                      "seconds": round(dt, 5), "tokens_per_second": round(tokens / dt, 1)}), flush=True)

steady = rates[a.warmup:]
print(json.dumps({"summary": True, "task": a.task, "V": V, "C": C, "examples": len(examples),
                  "tokens_per_second": round(sum(steady) / len(steady), 1), "steps": len(steady),
                  "torch": torch.__version__, "threads": torch.get_num_threads()}))
