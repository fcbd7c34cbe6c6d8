#!/usr/bin/env python3
"""Loads a recur checkpoint into PyTorch modules with load_state_dict(strict=True) and checks that
PyTorch computes what recur computes (LSTM and RNN checkpoints, one- or two-way).

- A language model: the loss of `recur eval` on a text file.
- A classifier or a tagger (nn.Embedding + nn.LSTM/RNN(bidirectional=...) + nn.Linear over
  pack_padded_sequence batches): the loss of `recur eval` on a labelled file in the task's format
  (label<TAB>text lines, or CoNLL columns), and `recur predict --json` on its texts plus one line
  with an unknown word: every label probability of a classifier, every tag of a tagger.

  python3 scripts/torch_load_check.py --checkpoint runs/demo --corpus some.txt --recur .build/release/recur
  python3 scripts/torch_load_check.py --checkpoint runs/names --corpus names.conll
  python3 scripts/torch_load_check.py --train-tasks   # trains tiny bidirectional LSTM and RNN classifiers
                                                      # and taggers (and sigmoid LSTM ones) with recur

Needs torch and numpy (a virtual environment; not for CI). Exits 1 when any figure differs.
"""
import argparse, json, os, re, struct, subprocess, sys, tempfile
import numpy as np
import torch, torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

LOSS_TOLERANCE = 1e-4   # relative, on a mean loss
PROB_TOLERANCE = 1e-4   # absolute, on a label probability
PREDICT_LINES = 12      # texts of the labelled file given to `recur predict`

p = argparse.ArgumentParser()
p.add_argument("--checkpoint", help="checkpoint folder, or a run folder (its latest checkpoint)")
p.add_argument("--corpus", help="text file (language model) or labelled file (classifier, tagger)")
p.add_argument("--recur", default=".build/release/recur")
p.add_argument("--train-tasks", action="store_true",
               help="train tiny bidirectional LSTM and RNN classifiers and taggers with recur and check each")
a = p.parse_args()
if not a.train_tasks and not (a.checkpoint and a.corpus):
    p.error("give --checkpoint and --corpus, or --train-tasks")


def recur(*args, stdin=None):
    return subprocess.run([a.recur, *args], input=stdin, capture_output=True, text=True, check=True).stdout


def load(ckpt):
    """The checkpoint folder, its recur.config and its tensors by name."""
    if os.path.exists(os.path.join(ckpt, "checkpoints", "latest")):
        ckpt = os.path.join(ckpt, "checkpoints", "latest")
    raw = open(os.path.join(ckpt, "model.safetensors"), "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    config = json.loads(header["__metadata__"]["recur.config"])
    data = raw[8 + n:]
    state = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        state[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype="<f4").reshape(info["shape"]).copy())
    if config["cell"] not in ("lstm", "rnn") or config.get("peephole"):
        sys.exit(f"only lstm and rnn checkpoints load into torch modules (this one is {config['cell']})")
    return ckpt, config, state


class Model(nn.Module):
    """nn.Embedding → nn.LSTM/RNN → nn.Linear under recur's tensor names."""
    def __init__(s, config):
        super().__init__()
        V, E, H, L = len(config["vocab"]), config["embed"], config["hidden"], config["layers"]
        task, D = config.get("task", "lm"), 2 if config.get("bidirectional") else 1
        C = V if task == "lm" else (1 if config["loss"] == "sigmoid" else len(config["labels"]))
        s.embedding = nn.Embedding(V, E)
        s.rnn = (nn.LSTM(E, H, L, bidirectional=D == 2) if config["cell"] == "lstm"
                 else nn.RNN(E, H, L, nonlinearity=config["activation"], bidirectional=D == 2))
        s.head = nn.Linear(D * H, C)

    def examples(s, ids, task):
        """Logits of a list of id tensors: [N, C] per example, or a list of [len, C] per token."""
        lengths = torch.tensor([len(x) for x in ids])
        packed = pack_padded_sequence(s.embedding(pad_sequence(ids)), lengths, enforce_sorted=False)
        out, h = s.rnn(packed)
        if task == "classify":
            h = h[0] if isinstance(s.rnn, nn.LSTM) else h  # [L·D, N, H]
            top = torch.cat([h[-2], h[-1]], 1) if s.rnn.bidirectional else h[-1]
            return s.head(top)
        out, _ = pad_packed_sequence(out)  # [T, N, D·H]
        return [s.head(out[:n, j]) for j, n in enumerate(lengths.tolist())]


def check_lm(ckpt, config, model, corpus):
    vocab = {t: i for i, t in enumerate(config["vocab"])}
    if config["tokenizer"] != "char":
        sys.exit("this check reads char-level language models")
    text = open(corpus, encoding="utf-8").read()
    ids = torch.tensor([vocab.get(c, vocab["<UNK>"]) for c in text], dtype=torch.long)
    with torch.no_grad():
        out, _ = model.rnn(model.embedding(ids[:-1]).unsqueeze(1))
        loss = nn.functional.cross_entropy(model.head(out.squeeze(1)), ids[1:]).item()
    got = json.loads(recur("eval", "--checkpoint", ckpt, "--corpus", corpus, "--json"))
    print(json.dumps({"task": "lm", "torch_loss": loss, "recur_loss": got["loss"], "tokens": got["tokens"]}))
    return abs(loss - got["loss"]) < LOSS_TOLERANCE * max(1, abs(loss))


def words_of_text(text):
    """recur's word segmenter: whitespace splits, and each of . , ; : ! ? " ( ) stands alone."""
    return re.findall(r'[.,;:!?"()]|[^\s.,;:!?"()]+', text)


def read_labelled(path, task):
    """(words, gold) per example: a label, or a tag per word."""
    if task == "classify":
        rows = [l.rstrip("\r\n").split("\t", 1) for l in open(path, encoding="utf-8") if l.strip()]
        return [(words_of_text(text), label) for label, text in rows]
    out, words, tags = [], [], []
    for line in list(open(path, encoding="utf-8")) + ["\n"]:
        cols = line.split()
        if cols and cols[0] != "-DOCSTART-":
            words.append(cols[0]); tags.append(cols[-1])
        elif not cols and words:
            out.append((words, tags)); words, tags = [], []
    return out


def check_examples(ckpt, config, model, corpus, name):
    task, labels, sigmoid = config["task"], config["labels"], config["loss"] == "sigmoid"
    vocab = {t: i for i, t in enumerate(config["vocab"])}
    unk = vocab.get("<UNK>", vocab.get("<unk>"))
    encode = lambda ws: torch.tensor([vocab.get(w, unk) for w in ws], dtype=torch.long)
    rows = read_labelled(corpus, task)
    lab = {l: i for i, l in enumerate(labels)}

    # The loss of `recur eval`: the mean over labels (classify) or real tokens (tag).
    with torch.no_grad():
        logits = model.examples([encode(ws) for ws, _ in rows], task)
        if task == "tag":
            logits = torch.cat(logits)
            gold = torch.tensor([lab[t] for _, tags in rows for t in tags])
        else:
            gold = torch.tensor([lab[y] for _, y in rows])
        loss = (nn.functional.binary_cross_entropy_with_logits(logits[:, 0], gold.float()) if sigmoid
                else nn.functional.cross_entropy(logits, gold)).item()
    got = json.loads(recur("eval", "--checkpoint", ckpt, "--corpus", corpus, "--json"))
    loss_ok = abs(loss - got["loss"]) < LOSS_TOLERANCE * max(1, abs(loss))

    # `recur predict --json` on the first texts and one line with a word the vocabulary lacks.
    texts = ([" ".join(ws) for ws, _ in rows[:PREDICT_LINES]]
             + ["the zorblat was not bad at all" if task == "classify" else "we met zorblat smith yesterday"])
    predicted = [json.loads(l) for l in recur("predict", "--checkpoint", ckpt, "--json",
                                              stdin="\n".join(texts) + "\n").splitlines() if l.strip()]
    split = words_of_text if task == "classify" else str.split
    with torch.no_grad():
        logits = model.examples([encode(split(t)) for t in texts], task)
    worst, mismatches, compared = 0.0, 0, 0
    for j, pred in enumerate(predicted):
        if task == "classify":
            probs = (torch.cat([1 - torch.sigmoid(logits[j]), torch.sigmoid(logits[j])]) if sigmoid
                     else torch.softmax(logits[j], 0)).tolist()
            worst = max([worst] + [abs(probs[i] - pred["probabilities"][l]) for i, l in enumerate(labels)])
            mismatches += pred["label"] != labels[int(np.argmax(probs))]
            compared += 1
        else:
            ids = (logits[j][:, 0] > 0).long() if sigmoid else logits[j].argmax(1)
            mine = [labels[i] for i in ids.tolist()]
            mismatches += sum(x != y for x, y in zip(mine, pred["tags"])) + abs(len(mine) - len(pred["tags"]))
            compared += len(mine)
    result = {"model": name, "task": task, "torch_loss": round(loss, 7), "recur_loss": round(got["loss"], 7),
              "predict_lines": len(predicted), ("labels" if task == "classify" else "tags") + "_compared": compared,
              "mismatches": mismatches}
    if task == "classify":
        result["max_prob_diff"] = float(f"{worst:.2e}")
    print(json.dumps(result))
    return loss_ok and mismatches == 0 and worst < PROB_TOLERANCE and len(predicted) == len(texts)


def check(ckpt, corpus, name=None):
    ckpt, config, state = load(ckpt)
    model = Model(config)
    model.load_state_dict(state, strict=True)  # raises on any missing, unexpected or mis-shaped tensor
    if config.get("task", "lm") == "lm":
        return check_lm(ckpt, config, model, corpus)
    return check_examples(ckpt, config, model, corpus, name or ckpt)


if not a.train_tasks:
    sys.exit(0 if check(a.checkpoint, a.corpus) else 1)

# Tiny models on the built-in data (a short run leaves them far from chance, so ties are rare),
# checked on fresh built-in examples of another seed.
ok = True
with tempfile.TemporaryDirectory() as work:
    for task in ("classify", "tag"):
        for cell, loss in (("lstm", "softmax"), ("rnn", "softmax"), ("lstm", "sigmoid")):
            run, held = os.path.join(work, f"{task}-{cell}-{loss}"), os.path.join(work, f"{task}-{loss}.txt")
            recur("data", "--task", task, "--loss", loss, "--seed", "7", "--synthetic-sentences", "60", "--out", held)
            recur("train", "--single-process", "--task", task, "--loss", loss, "--bidirectional", "--cell", cell,
                  "--hidden", "24", "--layers", "2", "--embed", "16", "--batch", "16", "--steps", "60", "--lr", "0.01",
                  "--synthetic-sentences", "400", "--threads", "1", "--quiet", "--run-dir", run)
            ok &= check(run, held, f"bidirectional {cell} L=2 H=24 E=16 {task} {loss}")
sys.exit(0 if ok else 1)
