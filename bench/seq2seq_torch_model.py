"""The PyTorch definition of recur's encoder-decoder (seq2seq) model: the one definition used by
scripts/torch_golden_seq2seq.py (golden fixture) and bench/baseline_torch_seq2seq.py (benchmark).

Parameters, registered in this order so that state_dict() lists them in recur's flat order:

  encoder.embedding.weight                         [Vs, E]
  encoder.rnn.{weight_ih,weight_hh,bias_ih,bias_hh}_l{k}[_reverse]
                                                   nn.LSTM/GRU/RNN(E, H, L, bidirectional=D==2)
  bridge.h_l{k}.{weight,bias}, bridge.c_l{k}.{...} only if bidirectional: nn.Linear(2H, H) per
                                                   layer, h_l0, c_l0, h_l1, c_l1, ... (c: LSTM only)
  attention.linear_in.weight                       [H, D*H]    only for attention "general"
  attention.linear_out.weight                      [H, D*H+H]  for "dot" and "general"
  decoder.embedding.weight                         [Vt, E]
  decoder.rnn.*                                    the same cell, unidirectional, L layers, H
  decoder.head.{weight,bias}                       nn.Linear(H, Vt)

Forward, time-major (see Seq2Seq.forward):
  source [S, N] with lengths [N] -> embedding -> pack_padded_sequence(enforce_sorted=False) ->
  encoder -> outputs e [S, N, D*H] (zeros at padding) and final states [L*D, N, H];
  decoder state: the encoder's final states (unidirectional) or, per layer k,
  bridge.h_l{k}(cat(h_n[2k], h_n[2k+1])) (and c likewise for an LSTM), no activation;
  decoder over decoder inputs [T, N] (bos, then the target ids; not packed) -> o [T, N, H];
  attention "none": h~ = o; "dot": keys = e; "general": keys = linear_in(e);
    scores[t, n, s] = o[t, n] . keys[s, n], -inf where s >= length[n], a = softmax over s,
    ctx[t, n] = sum_s a[t, n, s] e[s, n], h~ = tanh(linear_out(cat([ctx, o], -1)));
  logits = decoder.head(h~) [T, N, Vt].
Loss (seq2seq_loss): summed cross-entropy over targets [T, N], -1 ignored.
"""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
ATTENTIONS = ("none", "dot", "general")


class Encoder(nn.Module):
    def __init__(self, cell, vocab, embed, hidden, layers, bidirectional):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = CELLS[cell](embed, hidden, num_layers=layers, bidirectional=bidirectional)


class Attention(nn.Module):
    def __init__(self, kind, key_size, hidden):
        super().__init__()
        if kind == "general":
            self.linear_in = nn.Linear(key_size, hidden, bias=False)
        self.linear_out = nn.Linear(key_size + hidden, hidden, bias=False)


class Decoder(nn.Module):
    def __init__(self, cell, vocab, embed, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = CELLS[cell](embed, hidden, num_layers=layers)
        self.head = nn.Linear(hidden, vocab)


class Seq2Seq(nn.Module):
    def __init__(self, cell="lstm", source_vocab=7, target_vocab=6, embed=3, hidden=4, layers=1,
                 bidirectional=False, attention="general"):
        super().__init__()
        assert cell in CELLS and attention in ATTENTIONS, (cell, attention)
        D = 2 if bidirectional else 1
        if attention == "dot" and D != 1:
            raise ValueError("attention 'dot' needs keys of size H: a unidirectional encoder")
        self.cell, self.layers, self.bidirectional, self.kind = cell, layers, bidirectional, attention
        self.encoder = Encoder(cell, source_vocab, embed, hidden, layers, bidirectional)
        if bidirectional:
            slots = ("h", "c") if cell == "lstm" else ("h",)
            self.bridge = nn.ModuleDict(
                (f"{s}_l{k}", nn.Linear(2 * hidden, hidden)) for k in range(layers) for s in slots)
        if attention != "none":
            self.attention = Attention(attention, D * hidden, hidden)
        self.decoder = Decoder(cell, target_vocab, embed, hidden, layers)

    def bridge_states(self, final):
        """The encoder's final states [L*D, N, H] -> the decoder's initial states [L, N, H]."""
        if not self.bidirectional:
            return final
        states = final if self.cell == "lstm" else (final,)
        out = []
        for slot, s in zip("hc", states):
            out.append(torch.stack([self.bridge[f"{slot}_l{k}"](torch.cat([s[2 * k], s[2 * k + 1]], -1))
                                    for k in range(self.layers)]))
        return tuple(out) if self.cell == "lstm" else out[0]

    def forward(self, source, lengths, decoder_inputs):
        """source [S, N], lengths [N] (a CPU int64 tensor), decoder_inputs [T, N] -> logits [T, N, Vt]."""
        S = source.shape[0]
        packed = pack_padded_sequence(self.encoder.embedding(source), lengths, enforce_sorted=False)
        out, final = self.encoder.rnn(packed)
        keys_source, _ = pad_packed_sequence(out, total_length=S)  # e [S, N, D*H], zeros at padding
        o, _ = self.decoder.rnn(self.decoder.embedding(decoder_inputs), self.bridge_states(final))
        if self.kind == "none":
            h = o
        else:
            e = keys_source
            keys = self.attention.linear_in(e) if self.kind == "general" else e  # [S, N, H]
            scores = torch.einsum("tnh,snh->nts", o, keys)  # [N, T, S]
            pad = torch.arange(S)[None, :] >= lengths[:, None]  # [N, S]
            a = torch.softmax(scores.masked_fill(pad[:, None, :], float("-inf")), dim=-1)
            ctx = torch.bmm(a, e.transpose(0, 1)).transpose(0, 1)  # [T, N, D*H]
            h = torch.tanh(self.attention.linear_out(torch.cat([ctx, o], -1)))
        return self.decoder.head(h)


def seq2seq_loss(logits, targets, reduction="sum"):
    """Cross-entropy of logits [T, N, Vt] against targets [T, N], -1 ignored."""
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                       ignore_index=-1, reduction=reduction)
