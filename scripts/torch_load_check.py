#!/usr/bin/env python3
"""Loads a recur checkpoint into PyTorch modules with load_state_dict(strict=True) and checks that
PyTorch computes the same loss as `recur eval` on a text file (LSTM and RNN checkpoints).

  python3 scripts/torch_load_check.py --checkpoint runs/demo --corpus some.txt --recur .build/release/recur

Needs torch and numpy (a virtual environment; not for CI). Exits 1 when the losses differ.
"""
import argparse, json, os, struct, subprocess, sys
import numpy as np
import torch, torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--checkpoint", required=True)
p.add_argument("--corpus", required=True)
p.add_argument("--recur", default=".build/release/recur")
a = p.parse_args()

ckpt = a.checkpoint
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

cell = config["cell"]
if cell not in ("lstm", "rnn") or config.get("peephole"):
    sys.exit(f"only lstm and rnn checkpoints load into torch modules (this one is {cell})")
V, E, H, L = len(config["vocab"]), config["embed"], config["hidden"], config["layers"]

class LM(nn.Module):
    def __init__(s):
        super().__init__()
        s.embedding = nn.Embedding(V, E)
        s.rnn = nn.LSTM(E, H, L) if cell == "lstm" else nn.RNN(E, H, L, nonlinearity=config["activation"])
        s.head = nn.Linear(H, V)

m = LM()
m.load_state_dict(state, strict=True)  # raises on any missing, unexpected or mis-shaped tensor

vocab = {t: i for i, t in enumerate(config["vocab"])}
if config["tokenizer"] != "char":
    sys.exit("this check reads char-level checkpoints")
text = open(a.corpus, encoding="utf-8").read()
ids = torch.tensor([vocab.get(c, vocab["<UNK>"]) for c in text], dtype=torch.long)
with torch.no_grad():
    out, _ = m.rnn(m.embedding(ids[:-1]).unsqueeze(1))
    loss = nn.functional.cross_entropy(m.head(out.squeeze(1)), ids[1:]).item()
got = json.loads(subprocess.check_output([a.recur, "eval", "--checkpoint", ckpt, "--corpus", a.corpus, "--json"]))
print(json.dumps({"torch_loss": loss, "recur_loss": got["loss"], "tokens": got["tokens"]}))
sys.exit(0 if abs(loss - got["loss"]) < 1e-4 * max(1, abs(loss)) else 1)
