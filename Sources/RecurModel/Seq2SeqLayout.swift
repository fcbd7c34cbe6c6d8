// Seq2SeqLayout: the encoder–decoder's tensors in PyTorch's state_dict order, and the two stacks'
// own configurations, whose layouts are the encoder's and decoder's blocks of it.

extension ModelConfig {
    /// The encoder stack as an example model: source vocabulary, the seq2seq directions, and a
    /// one-output head that is never run. Its layout without the head is the `encoder.` block of
    /// the seq2seq layout, at offset 0, so the encoder runs on the seq2seq vector unchanged.
    var encoderConfig: ModelConfig {
        ModelConfig(cell: cell, activation: activation, hidden: hidden, layers: layers, embed: embed, vocab: vocab,
                    peephole: peephole, dropout: dropout, bidirectional: bidirectional, outputs: 1)
    }

    /// The decoder stack as an example model: target vocabulary, one direction, a head over the
    /// target vocabulary. Its layout is the `decoder.` block of the seq2seq layout, from
    /// `ParameterLayout.decoderBase`.
    var decoderConfig: ModelConfig {
        ModelConfig(cell: cell, activation: activation, hidden: hidden, layers: layers, embed: embed,
                    vocab: targetVocab ?? vocab, peephole: peephole, dropout: dropout, bidirectional: false)
    }
}

extension ParameterLayout {
    /// The seq2seq tensors in order (PyTorch's state_dict of the reference module):
    /// - `encoder.embedding.weight` [Vs, E], then `encoder.rnn.*` as an example model's `rnn.*`
    /// - bidirectional only, per layer k: `bridge.h_l{k}.weight` [H, 2H], `bridge.h_l{k}.bias` [H],
    ///   and for the LSTM `bridge.c_l{k}.weight`, `bridge.c_l{k}.bias`
    /// - `attention.linear_in.weight` [H, D·H] (general), `attention.linear_out.weight`
    ///   [H, D·H + H] (dot and general)
    /// - `decoder.embedding.weight` [Vt, E], `decoder.rnn.*` (one direction),
    ///   `decoder.head.weight` [Vt, H], `decoder.head.bias` [Vt]
    static func seq2seqTensors(_ config: ModelConfig) -> [(name: String, shape: [Int])] {
        let h = config.hidden, width = config.directions * h
        var out: [(name: String, shape: [Int])] = []
        for s in ParameterLayout(config.encoderConfig).specs where !s.name.hasPrefix("head.") {
            out.append(("encoder." + s.name, s.shape))
        }
        if config.bidirectional {
            for k in 0..<config.layers {
                for part in config.cell.hasCellState ? ["h", "c"] : ["h"] {
                    out.append(("bridge.\(part)_l\(k).weight", [h, 2 * h]))
                    out.append(("bridge.\(part)_l\(k).bias", [h]))
                }
            }
        }
        if config.attention == .general { out.append(("attention.linear_in.weight", [h, width])) }
        if config.attention == .dot || config.attention == .general {
            out.append(("attention.linear_out.weight", [h, width + h]))
        }
        for s in ParameterLayout(config.decoderConfig).specs { out.append(("decoder." + s.name, s.shape)) }
        return out
    }

    /// Seq2seq: the offset of the decoder's block (`decoder.embedding.weight`).
    var decoderBase: Int { offset("decoder.embedding.weight") }

    /// Seq2seq: the end of the encoder's block, the first offset after `encoder.rnn.*`.
    var encoderEnd: Int { specs.first { !$0.name.hasPrefix("encoder.") }!.offset }
}
