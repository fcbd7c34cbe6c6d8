#!/usr/bin/env python3
"""PyTorch CPU baseline of recur's character-level language model: the same work as `recur train`
(embedding E = H -> stacked RNN/GRU/LSTM with dropout between layers -> linear head -> softmax
cross-entropy; truncated BPTT over B parallel streams, char-rnn's layout, the hidden state carried
from chunk to chunk and zeroed at each epoch; Adam; global-norm clipping).

Modes:
  throughput  --warmup steps, then --steps timed steps over the whole corpus. One JSON line:
              cell, hidden, layers, batch, bptt, threads, steps, tokens_per_second, ms_per_step,
              params, last_loss (the fields bench/lstm_vs_torch.sh reads).
  budget      trains for --seconds of wall-clock time (ending at a step boundary), then reports the
              validation loss as `recur eval` measures it: the held-out text read as ONE stream from
              a zero state, mean NLL (nats/char) of every char after the first (--val-streams 16
              reads it as 16 carried streams instead). The held-out text is --val-corpus, or else the
              last 10% of --corpus (the first 90% train). One JSON line: steps, schedule_steps,
              tokens_per_second, train_loss, val_loss, val_tokens, eval_seconds and the settings.

The learning rate follows recur's schedules: --warmup-steps of linear warm-up (rate * (k+1)/W at
step k), then constant or half a cosine down to --min-lr over --schedule-steps; in budget mode
without --schedule-steps the cosine's horizon is estimated as recur does it: at the end of the
warm-up, the steps done plus the steps the rest of the budget buys at the warm-up's rate.

  python3 bench/baseline_torch.py --mode throughput --corpus input.txt --hidden 512 --steps 12
  python3 bench/baseline_torch.py --mode budget --corpus input.txt --seconds 300 --hidden 512 \\
      --bptt 100 --dropout 0.1 --lr 3e-3 --lr-schedule cosine --warmup-steps 100

Needs: torch (a virtual environment, e.g. ~/.venvs/torch-ref; not for CI).
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mode", choices=["throughput", "budget"], default="throughput")
    p.add_argument("--corpus", required=True)
    p.add_argument("--val-corpus", help="budget: held-out text (default: the last 10%% of --corpus)")
    p.add_argument("--cell", default="LSTM", type=str.upper, choices=["LSTM", "GRU", "RNN"])
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--bptt", type=int, default=100)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--lr-schedule", choices=["constant", "cosine"], default="constant")
    p.add_argument("--warmup-steps", type=int, default=0)
    p.add_argument("--min-lr", type=float, default=0.0)
    p.add_argument("--schedule-steps", type=int, help="the cosine's horizon (budget: default estimated)")
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=10, help="throughput: timed steps")
    p.add_argument("--warmup", type=int, default=3, help="throughput: untimed steps first")
    p.add_argument("--seconds", type=float, default=300, help="budget: training time")
    p.add_argument("--val-streams", type=int, default=1, help="budget: streams the held-out text is read as")
    a = p.parse_args()
    if a.mode == "budget" and a.lr_schedule == "cosine" and a.schedule_steps is None and a.warmup_steps < 1:
        p.error("--lr-schedule cosine in budget mode needs --warmup-steps (its rate estimates the horizon) or --schedule-steps")
    return a


class LM(nn.Module):
    def __init__(self, cell, vocab, hidden, layers, dropout):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden)
        self.rnn = getattr(nn, cell)(hidden, hidden, layers, dropout=dropout if layers > 1 else 0.0)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, h):
        y, h = self.rnn(self.embedding(x), h)
        return self.head(y), h


def detach(h):
    return tuple(t.detach() for t in h) if isinstance(h, tuple) else h.detach()


def streams(ids, b):
    """char-rnn's layout: b contiguous streams, as [steps, b] inputs and next-char targets."""
    k = (len(ids) - 1) // b
    return ids[: k * b].view(b, k).t(), ids[1 : k * b + 1].view(b, k).t()


class Schedule:
    """recur's OptimizerConfig.rate(atStep:) for constant and cosine."""

    def __init__(self, a):
        self.a, self.horizon = a, a.schedule_steps

    def rate(self, k):
        a = self.a
        if k < a.warmup_steps:
            return a.lr * (k + 1) / a.warmup_steps
        if a.lr_schedule == "constant":
            return a.lr
        span = max(1, (self.horizon or 0) - a.warmup_steps)
        progress = min(1.0, (k - a.warmup_steps) / span)
        return a.min_lr + (a.lr - a.min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def train_step(m, opt, lossf, x, y, h, clip, vocab):
    out, h = m(x, h)
    loss = lossf(out.reshape(-1, vocab), y.reshape(-1))
    opt.zero_grad()
    loss.backward()
    if clip > 0:
        nn.utils.clip_grad_norm_(m.parameters(), clip)
    opt.step()
    return loss, detach(h)


def evaluate(m, ids, n_streams, vocab):
    """Mean NLL of every token after the first of each stream, state carried from a zero state."""
    m.eval()
    x, y = streams(ids, n_streams)
    h, total, count = None, 0.0, 0
    lossf = nn.CrossEntropyLoss(reduction="sum")
    with torch.inference_mode():
        for q in range(0, x.shape[0], 2048):
            out, h = m(x[q : q + 2048], h)
            total += lossf(out.reshape(-1, vocab), y[q : q + 2048].reshape(-1)).item()
            count += y[q : q + 2048].numel()
    m.train()
    return total / count, count


def main():
    a = parse()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    text = open(a.corpus, encoding="utf-8").read()
    held = open(a.val_corpus, encoding="utf-8").read() if a.val_corpus else None
    if a.mode == "budget" and held is None:
        cut = int(0.9 * len(text))
        text, held = text[:cut], text[cut:]
    chars = sorted(set(text) | set(held or ""))
    vocab = len(chars)
    index = {c: i for i, c in enumerate(chars)}
    encode = lambda s: torch.tensor([index[c] for c in s], dtype=torch.long)
    X, Y = streams(encode(text), a.batch)
    m = LM(a.cell, vocab, a.hidden, a.layers, a.dropout)
    sched = Schedule(a)
    opt = torch.optim.Adam(m.parameters(), sched.rate(0))
    lossf = nn.CrossEntropyLoss()
    settings = {"impl": "pytorch-" + torch.__version__, "mode": a.mode, "cell": a.cell.lower(), "hidden": a.hidden,
                "layers": a.layers, "batch": a.batch, "bptt": a.bptt, "dropout": a.dropout, "threads": a.threads}
    per_epoch = X.shape[0] // a.bptt
    if per_epoch < 1:
        raise SystemExit(f"corpus too short for B={a.batch} x T={a.bptt}")
    h, step, t0 = None, 0, time.perf_counter()

    def one_step():
        nonlocal h, step
        c = step % per_epoch
        if c == 0:
            h = None  # each epoch starts from a zero state, as recur's does
        for g in opt.param_groups:
            g["lr"] = sched.rate(step)
        loss, h = train_step(m, opt, lossf, X[c * a.bptt : (c + 1) * a.bptt], Y[c * a.bptt : (c + 1) * a.bptt], h,
                             a.clip, vocab)
        step += 1
        return loss

    if a.mode == "throughput":
        for _ in range(a.warmup):
            one_step()
        t0 = time.perf_counter()
        for _ in range(a.steps):
            loss = one_step()
        dt = time.perf_counter() - t0
        print(json.dumps(dict(settings, steps=a.steps, tokens_per_second=round(a.steps * a.batch * a.bptt / dt, 1),
                              ms_per_step=round(dt / a.steps * 1000, 2),
                              params=sum(q.numel() for q in m.parameters()), last_loss=round(loss.item(), 4))))
        return

    loss = None
    while time.perf_counter() - t0 < a.seconds:
        loss = one_step()
        if sched.horizon is None and a.lr_schedule == "cosine" and step >= a.warmup_steps:
            spent = time.perf_counter() - t0
            sched.horizon = step + int(max(0.0, a.seconds - spent) * step / spent)
    elapsed = time.perf_counter() - t0
    e0 = time.perf_counter()
    val, val_tokens = evaluate(m, encode(held), a.val_streams, vocab)
    print(json.dumps(dict(settings, lr=a.lr, lr_schedule=a.lr_schedule, warmup_steps=a.warmup_steps, min_lr=a.min_lr,
                          schedule_steps=sched.horizon, seconds=a.seconds, steps=step,
                          tokens_per_second=round(step * a.batch * a.bptt / elapsed, 1),
                          train_loss=round(loss.item(), 4) if loss is not None else None, val_loss=round(val, 4),
                          val_streams=a.val_streams, val_tokens=val_tokens,
                          eval_seconds=round(time.perf_counter() - e0, 1))))


if __name__ == "__main__":
    main()
