#!/usr/bin/env python3
# Writes Tests/RecurModelTests/Fixtures/examples_golden.json: a 2-layer bidirectional LSTM tagger
# and classifier run by PyTorch on packed sequences, with their summed losses and gradients.
"""Golden values for RecurModelTests/ExampleGoldenTests.swift.

    ~/.venvs/torch-ref/bin/python scripts/torch_golden_examples.py

Each case is nn.Embedding(V, E) -> nn.LSTM(E, H, num_layers=2, bidirectional=True) -> nn.Linear(2H, C)
over a padded, time-major batch [T, N] of examples of unequal lengths, run through
pack_padded_sequence(..., enforce_sorted=False) so that padding never reaches a real position:

  tagger:      logits [T, N, C] = head(pad_packed_sequence(output)) at every real position
  classifier:  logits [N, C] = head(cat([h_n[-2], h_n[-1]], 1)), the top layer's final states

Losses are summed, not averaged: cross-entropy over C classes (target -1 ignored; padding is -1),
or for C = 1 sigmoid binary cross-entropy summed over the labelled positions (label -1 ignored).
Parameters are made in float32 by torch's initialisers under a fixed seed (then spread so that no
tensor is near zero) and everything is evaluated in float64 from those float32 values, so the
golden numbers carry no float32 rounding of their own.

Each case holds (all flat, row-major):
  params:   [{name, shape, values}] in state_dict order (Recur's flat order)
  inputs:   [T, N] token ids (padding holds arbitrary ids), lengths: [N]
  targets:  [T, N] (tagger) or [N] (classifier); -1 = ignored
  logits:   [T, N, C] (rows at padding are written as 0 and not compared) or [N, C]
  loss:     the summed loss; count: labels scored
  grads:    {name: values}, the gradient of the summed loss
"""
import os
import sys

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "RecurModelTests", "Fixtures")
sys.dont_write_bytecode = True  # no __pycache__ among the test resources
sys.path.insert(0, FIXTURES)
from make_golden import f32list, spread, write_fixture  # noqa: E402  (the language model's fixture script)

V, E, H, L, N, T = 11, 5, 4, 2, 3, 6
LENGTHS = [6, 4, 2]


class Net(torch.nn.Module):
    def __init__(self, pooling, classes):
        super().__init__()
        self.pooling = pooling
        self.embedding = torch.nn.Embedding(V, E)
        self.rnn = torch.nn.LSTM(E, H, num_layers=L, bidirectional=True)
        self.head = torch.nn.Linear(2 * H, classes)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(self.embedding(x), lengths, enforce_sorted=False)
        out, (h_n, _) = self.rnn(packed)
        if self.pooling == "everyToken":
            y, _ = pad_packed_sequence(out, total_length=x.shape[0])
            return self.head(y)
        return self.head(torch.cat([h_n[-2], h_n[-1]], 1))


def make_case(name, pooling, classes, seed):
    torch.manual_seed(seed)
    model = spread(Net(pooling, classes))
    lengths = torch.tensor(LENGTHS)
    inputs = torch.randint(0, V, (T, N))
    real = torch.arange(T)[:, None] < lengths[None, :]  # [T, N]
    if pooling == "everyToken":
        targets = torch.randint(0, classes if classes > 1 else 2, (T, N))
        targets[~real] = -1
        targets[1, 0] = -1  # one ignored real position
    else:
        targets = torch.randint(0, classes if classes > 1 else 2, (N,))

    ref = Net(pooling, classes).double()
    ref.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    logits = ref(inputs, lengths)
    if classes > 1:
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, classes), targets.reshape(-1),
                                                 reduction="sum", ignore_index=-1)
    else:
        z, y = logits.reshape(-1), targets.reshape(-1)
        keep = y >= 0
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z[keep], y[keep].double(), reduction="sum")
    loss.backward()
    written = logits.detach().clone()
    if pooling == "everyToken":
        written[~real] = 0

    named = dict(ref.named_parameters())
    return {
        "name": name,
        "pooling": pooling,
        "config": {"vocab": V, "embed": E, "hidden": H, "layers": L, "outputs": classes, "lanes": N, "steps": T},
        "params": [{"name": n, "shape": list(p.shape), "values": f32list(p)} for n, p in named.items()],
        "inputs": [int(v) for v in inputs.reshape(-1).tolist()],
        "lengths": [int(v) for v in lengths.tolist()],
        "targets": [int(v) for v in targets.reshape(-1).tolist()],
        "logits": f32list(written),
        "loss": float(loss.item()),
        "count": int((targets >= 0).sum().item()),
        "grads": {n: f32list(p.grad) for n, p in named.items()},
    }


def main():
    cases = [
        make_case("tagger", "everyToken", 3, 4321),
        make_case("classifier", "lastToken", 3, 5432),
        make_case("tagger-binary", "everyToken", 1, 6543),
        make_case("classifier-binary", "lastToken", 1, 7654),
    ]
    write_fixture(os.path.join(FIXTURES, "examples_golden.json"), "scripts/torch_golden_examples.py", cases)


if __name__ == "__main__":
    main()
