# Writes golden.json: PyTorch LSTM / RNN language models, their summed loss, final state and gradients.
"""Golden values for RecurModelTests/GoldenTests.swift.

Run with the torch reference environment:

    ~/.venvs/torch-ref/bin/python Tests/RecurModelTests/Fixtures/make_golden.py

Each case is nn.Embedding(V, E) -> nn.LSTM/nn.RNN(E, H, num_layers=2) -> nn.Linear(H, V), with
time-major inputs [T, N], a random non-zero initial state and the summed cross-entropy
(reduction='sum', target -1 ignored). Parameters are created in float32 by torch's own
initialisers under a fixed seed (then perturbed so biases are not tiny), and everything is
then evaluated in float64 from those exact float32 values, so the golden numbers carry no
float32 rounding of their own. Every number is written as repr(float(x)) of a float32 value
(parameters, inputs) or of the float64 result rounded to float32 (outputs).

Layout written for each case (all flat, row-major):
  params:  list of {name, shape, values} in Recur's flat order (PyTorch state_dict names)
  inputs, targets: [T, N] token ids
  state0, state1: initial / final state lane-major [N, L, S, H] (S = 2 (h, c) for LSTM, else 1)
  logits: [T, N, V]
  loss:   summed cross-entropy
  grads:  {name: values} gradient of the summed loss
"""
import copy
import json
import os

import torch

V, E, H, L, N, T = 11, 6, 9, 2, 3, 5


class LM(torch.nn.Module):
    def __init__(self, kind, nonlinearity):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, E)
        if kind == "lstm":
            self.rnn = torch.nn.LSTM(E, H, num_layers=L)
        else:
            self.rnn = torch.nn.RNN(E, H, num_layers=L, nonlinearity=nonlinearity)
        self.head = torch.nn.Linear(H, V)

    def forward(self, x, state):
        y, final = self.rnn(self.embedding(x), state)
        return self.head(y), final


def ordered_names(kind):
    names = ["embedding.weight"]
    for k in range(L):
        names += [f"rnn.weight_ih_l{k}", f"rnn.weight_hh_l{k}", f"rnn.bias_ih_l{k}", f"rnn.bias_hh_l{k}"]
    return names + ["head.weight", "head.bias"]


def f32list(t):
    """Flat list of Python floats, each exactly a float32 value."""
    return [float(v) for v in t.detach().to(torch.float32).reshape(-1).tolist()]


def lane_major(tensors):
    """[S] list of [L, N, H] tensors -> flat [N, L, S, H]."""
    return torch.stack(tensors, dim=2).permute(1, 0, 2, 3).contiguous()


def spread(model):
    """Keeps torch's init and adds a spread so that no tensor is near zero; returns the model."""
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.2 * torch.randn_like(p))
    return model


def make_case(name, kind, nonlinearity, seed):
    torch.manual_seed(seed)
    model = spread(LM(kind, nonlinearity))
    inputs = torch.randint(0, V, (T, N))
    targets = torch.randint(0, V, (T, N))
    targets[1, 2] = -1  # one ignored target
    slots = 2 if kind == "lstm" else 1
    state = [0.8 * torch.rand(L, N, H) - 0.4 for _ in range(slots)]

    ref = copy.deepcopy(model).double()
    state64 = [s.double() for s in state]
    logits, final = ref(inputs, tuple(state64) if kind == "lstm" else state64[0])
    loss = torch.nn.functional.cross_entropy(logits.reshape(T * N, V), targets.reshape(-1),
                                             reduction="sum", ignore_index=-1)
    loss.backward()
    final_list = list(final) if kind == "lstm" else [final]

    named = dict(ref.named_parameters())
    names = ordered_names(kind)
    assert set(names) == set(named), (names, list(named))
    return {
        "name": name,
        "config": {"cell": kind, "activation": nonlinearity, "vocab": V, "embed": E, "hidden": H,
                   "layers": L, "lanes": N, "steps": T},
        "params": [{"name": n, "shape": list(named[n].shape), "values": f32list(named[n])} for n in names],
        "inputs": [int(v) for v in inputs.reshape(-1).tolist()],
        "targets": [int(v) for v in targets.reshape(-1).tolist()],
        "state0": f32list(lane_major(state)),
        "state1": f32list(lane_major(final_list)),
        "logits": f32list(logits),
        "loss": float(torch.tensor(loss.item(), dtype=torch.float32)),
        "grads": {n: f32list(named[n].grad) for n in names},
    }


def main():
    cases = [
        make_case("lstm", "lstm", "tanh", 1234),
        make_case("rnn-tanh", "rnn", "tanh", 2345),
        make_case("rnn-relu", "rnn", "relu", 3456),
    ]
    write_fixture(os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.json"), "make_golden.py", cases)


def write_fixture(path, generator, cases):
    """Writes the cases as one JSON fixture (also used by scripts/torch_golden_examples.py)."""
    out = {"generator": generator, "torch": torch.__version__, "cases": cases}
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: " + ", ".join(f"{c['name']} loss={c['loss']:.6f}" for c in cases))


if __name__ == "__main__":
    main()
