#!/usr/bin/env python3
# Writes Tests/RecurModelTests/Fixtures/seq2seq_golden.json: encoder-decoder models with attention
# run by PyTorch, with their logits, summed losses and gradients.
"""Golden values for recur's encoder-decoder (seq2seq) model.

    ~/.venvs/torch-ref/bin/python scripts/torch_golden_seq2seq.py

The model is bench/seq2seq_torch_model.py's Seq2Seq (its docstring gives the parameters in order
and the forward pass): an nn.Embedding -> nn.LSTM/GRU encoder over the packed source
(pack_padded_sequence(enforce_sorted=False), so padding never reaches a real position), for a
bidirectional encoder a linear bridge (no activation) from both directions' final states to the
decoder's initial state of each layer, a unidirectional decoder of the same cell over the decoder
inputs from that state (not packed: its padding comes after the real positions, so it cannot reach
them), Luong attention ("none", "dot" or "general") over the real source positions, and
nn.Linear(H, Vt). Dropout is 0. The GRU is torch's (gates r, z, n; n = tanh(W_in x + b_in +
r * (W_hn h + b_hn))).

Every case has E=3, H=4, Vs=7, Vt=6, N=3, S=5, T=4. Source lengths and target lengths (the eos
position included) differ per case and are not sorted; in one case the longest source is shorter
than S. Decoder inputs are bos (id 1), then the targets shifted by one; the last real target is
eos (id 2); the other ids are random. Padded source positions and padded decoder inputs hold
random valid ids, padded targets are -1 (ignored). The loss is the cross-entropy summed (not
averaged) over the count = targets >= 0.

Parameters are made in float32 by torch's initialisers under a fixed seed (then spread so that no
tensor is near zero) and everything is evaluated in float64 from those float32 values, so the
golden numbers carry no float32 rounding of their own.

The script also checks, before writing, that the module is what the fixture claims: an
independent float64 implementation with explicit loops (per example, per time step, per source
position: the cells' equations by hand, each direction run over the example's own length, the
bridge, the attention's masked softmax, the log-sum-exp) gives the same logits, loss and (through
autograd on that implementation) gradients for every case; central finite differences of that
loop implementation agree with the module's gradient at one entry of every parameter of the first
case; and changing the ids at padded source positions or at padded decoder inputs leaves the loss
unchanged.

Each case holds (all flat, row-major):
  config:         {cell, hidden, layers, embed, sourceVocab, targetVocab, bidirectional, attention}
  params:         [{name, shape, values}] in state_dict order (recur's flat order)
  S, T, N
  source:         [S, N] token ids; sourceLengths: [N]
  decoderInputs:  [T, N] token ids
  targets:        [T, N]; -1 = ignored
  logits:         [T, N, Vt] (rows at padded target positions are written as 0 and not compared)
  loss:           the summed loss (float64); count: targets scored
  grads:          {name: values}, the gradient of the summed loss
"""
import math
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "RecurModelTests", "Fixtures")
sys.dont_write_bytecode = True  # no __pycache__ among the test resources or in bench/
sys.path.insert(0, FIXTURES)
sys.path.insert(0, os.path.join(ROOT, "bench"))
from make_golden import f32list, spread, write_fixture  # noqa: E402  (the language model's fixture script)
from seq2seq_torch_model import Seq2Seq, seq2seq_loss  # noqa: E402  (the one definition of the model)

torch.set_num_threads(1)

E, H, Vs, Vt, N, S, T = 3, 4, 7, 6, 3, 5, 4
BOS, EOS = 1, 2


# ---- the independent implementation: explicit loops in float64 --------------------------------
def sigmoid(x):
    return 1 / (1 + torch.exp(-x))


def cell_step(cell, p, x, state):
    """One step of torch's cell with weights p = (W_ih, W_hh, b_ih, b_hh); state = (h,) or (h, c)."""
    w_ih, w_hh, b_ih, b_hh = p
    gi, gh = w_ih @ x + b_ih, w_hh @ state[0] + b_hh
    if cell == "lstm":
        i, f, g, o = (gi + gh).split(H)
        c = sigmoid(f) * state[1] + sigmoid(i) * torch.tanh(g)
        return (sigmoid(o) * torch.tanh(c), c)
    if cell == "gru":
        ir, iz, in_ = gi.split(H)
        hr, hz, hn = gh.split(H)
        r, z = sigmoid(ir + hr), sigmoid(iz + hz)
        n = torch.tanh(in_ + r * hn)
        return ((1 - z) * n + z * state[0],)
    return (torch.tanh(gi + gh),)


def loop_forward(cfg, P, source, lengths, dec_in, targets):
    """logits [T, N, Vt] (0 at padded targets) and the summed loss, from parameters P (name -> tensor)."""
    cell, L, bi, kind = cfg["cell"], cfg["layers"], cfg["bidirectional"], cfg["attention"]
    slots = 2 if cell == "lstm" else 1
    zero = torch.zeros(H, dtype=torch.float64)
    w = lambda prefix, k, sfx="": tuple(P[f"{prefix}.{n}_l{k}{sfx}"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    logits = torch.zeros(T, N, Vt, dtype=torch.float64)
    rows = [[None] * N for _ in range(T)]
    loss = torch.zeros((), dtype=torch.float64)
    for n in range(N):
        ln = int(lengths[n])
        xs = [P["encoder.embedding.weight"][int(source[s, n])] for s in range(ln)]
        finals = []  # per layer: (forward final state, reverse final state or None)
        for k in range(L):
            st = (zero,) * slots
            fwd = []
            for s in range(ln):
                st = cell_step(cell, w("encoder.rnn", k), xs[s], st)
                fwd.append(st[0])
            fin_f = st
            if bi:
                st = (zero,) * slots
                rev = [None] * ln
                for s in reversed(range(ln)):
                    st = cell_step(cell, w("encoder.rnn", k, "_reverse"), xs[s], st)
                    rev[s] = st[0]
                finals.append((fin_f, st))
                xs = [torch.cat([fwd[s], rev[s]]) for s in range(ln)]
            else:
                finals.append((fin_f, None))
                xs = fwd
        enc = xs  # e[s] for the real positions only
        states = []
        for k in range(L):
            f, r = finals[k]
            if bi:
                states.append(tuple(P[f"bridge.{sl}_l{k}.weight"] @ torch.cat([f[j], r[j]]) + P[f"bridge.{sl}_l{k}.bias"]
                                    for j, sl in enumerate("hc"[:slots])))
            else:
                states.append(f)
        for t in range(T):
            x = P["decoder.embedding.weight"][int(dec_in[t, n])]
            for k in range(L):
                states[k] = cell_step(cell, w("decoder.rnn", k), x, states[k])
                x = states[k][0]
            o = x
            if kind == "none":
                h = o
            else:
                scores = []
                for s in range(ln):
                    key = P["attention.linear_in.weight"] @ enc[s] if kind == "general" else enc[s]
                    scores.append(sum(o[j] * key[j] for j in range(H)))
                m = max(float(v.detach()) for v in scores)
                ex = [torch.exp(v - m) for v in scores]
                total = sum(ex)
                ctx = sum((ex[s] / total) * enc[s] for s in range(ln))
                h = torch.tanh(P["attention.linear_out.weight"] @ torch.cat([ctx, o]))
            z = P["decoder.head.weight"] @ h + P["decoder.head.bias"]
            y = int(targets[t, n])
            if y >= 0:
                rows[t][n] = z
                m = float(z.detach().max())
                loss = loss + (m + torch.log(sum(torch.exp(z[j] - m) for j in range(Vt)))) - z[y]
    for t in range(T):
        for n in range(N):
            if rows[t][n] is not None:
                logits[t, n] = rows[t][n].detach()
    return logits, loss


# ---- the cases --------------------------------------------------------------------------------
def make_batch(src_lengths, tgt_lengths):
    source = torch.randint(0, Vs, (S, N))
    dec_in = torch.randint(0, Vt, (T, N))
    targets = torch.full((T, N), -1, dtype=torch.long)
    for n, ln in enumerate(tgt_lengths):
        ids = torch.randint(0, Vt, (ln,))
        ids[ln - 1] = EOS
        targets[:ln, n] = ids
        dec_in[0, n] = BOS
        dec_in[1:ln, n] = ids[:ln - 1]
    return source, torch.tensor(src_lengths), dec_in, targets


def make_case(name, cell, layers, bidirectional, attention, seed, src_lengths, tgt_lengths, finite_diff=False):
    cfg = {"cell": cell, "hidden": H, "layers": layers, "embed": E, "sourceVocab": Vs, "targetVocab": Vt,
           "bidirectional": bidirectional, "attention": attention}
    build = lambda: Seq2Seq(cell, Vs, Vt, E, H, layers, bidirectional, attention)
    torch.manual_seed(seed)
    model = spread(build())
    source, lengths, dec_in, targets = make_batch(src_lengths, tgt_lengths)

    ref = build().double()
    ref.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    logits = ref(source, lengths, dec_in)
    loss = seq2seq_loss(logits, targets)
    loss.backward()
    real = targets >= 0
    written = logits.detach().clone()
    written[~real] = 0
    named = dict(ref.named_parameters())
    assert list(named) == list(ref.state_dict()), "parameters and state_dict differ"

    # The independent loop implementation: logits, loss and gradients.
    P = {n: p.detach().clone().requires_grad_(True) for n, p in named.items()}
    loop_logits, loop_loss = loop_forward(cfg, P, source, lengths, dec_in, targets)
    loop_loss.backward()
    assert math.isclose(loop_loss.item(), loss.item(), rel_tol=1e-12), (name, loop_loss.item(), loss.item())
    assert torch.allclose(loop_logits, written, rtol=0, atol=1e-12), name
    for n, p in named.items():
        assert torch.allclose(P[n].grad, p.grad, rtol=1e-10, atol=1e-12), (name, n)
    if finite_diff:
        gen = torch.Generator().manual_seed(seed)
        for n, p in named.items():
            i = int(torch.randint(0, p.numel(), (1,), generator=gen))
            Q = {m: q.detach().clone() for m, q in named.items()}
            eps = 1e-6
            Q[n].view(-1)[i] += eps
            up = loop_forward(cfg, Q, source, lengths, dec_in, targets)[1].item()
            Q[n].view(-1)[i] -= 2 * eps
            down = loop_forward(cfg, Q, source, lengths, dec_in, targets)[1].item()
            fd, g = (up - down) / (2 * eps), p.grad.view(-1)[i].item()
            assert abs(fd - g) <= 1e-6 * max(1.0, abs(g)), (name, n, i, fd, g)
    # Padding does not matter: other ids at padded source positions and padded decoder inputs.
    pad_src = torch.arange(S)[:, None] >= lengths[None, :]
    src2 = torch.where(pad_src, (source + 1) % Vs, source)
    dec2 = torch.where(real, dec_in, (dec_in + 1) % Vt)
    dec2[0] = dec_in[0]  # the first input is always real
    with torch.no_grad():
        loss2 = seq2seq_loss(ref(src2, lengths, dec2), targets)
    assert math.isclose(loss2.item(), loss.item(), rel_tol=1e-13), (name, loss2.item(), loss.item())

    return {
        "name": name,
        "config": cfg,
        "params": [{"name": n, "shape": list(p.shape), "values": f32list(p)} for n, p in named.items()],
        "S": S, "T": T, "N": N,
        "source": [int(v) for v in source.reshape(-1).tolist()],
        "sourceLengths": [int(v) for v in lengths.tolist()],
        "decoderInputs": [int(v) for v in dec_in.reshape(-1).tolist()],
        "targets": [int(v) for v in targets.reshape(-1).tolist()],
        "logits": f32list(written),
        "loss": float(loss.item()),
        "count": int(real.sum().item()),
        "grads": {n: f32list(p.grad) for n, p in named.items()},
    }


def main():
    cases = [
        make_case("lstm_bi_l2_general", "lstm", 2, True, "general", 8101, [5, 3, 1], [4, 2, 3], finite_diff=True),
        make_case("lstm_uni_l1_dot", "lstm", 1, False, "dot", 8202, [3, 1, 5], [2, 4, 3]),
        make_case("gru_bi_l1_none", "gru", 1, True, "none", 8303, [1, 5, 3], [3, 4, 1]),
        make_case("lstm_uni_l2_general", "lstm", 2, False, "general", 8404, [2, 4, 1], [4, 1, 2]),
    ]
    write_fixture(os.path.join(FIXTURES, "seq2seq_golden.json"), "scripts/torch_golden_seq2seq.py", cases)


if __name__ == "__main__":
    main()
