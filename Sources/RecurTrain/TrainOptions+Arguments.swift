// TrainOptions+Arguments: the command line that parses back into a set of training options.

extension TrainOptions {
    /// The `recur train` / `recur coordinator` flags that parse back into exactly these options.
    ///
    /// A launcher builds each child's command line from the options it parsed, instead of
    /// editing its own argv: a launcher-only flag (`--workers`, `--restarts`, …) is not a field
    /// here, so it cannot reach the coordinator. Every value is written as `--flag=value`, so a
    /// value that starts with `-` is never read as a flag. `--steps` is written when set, else
    /// `--epochs` (the two are exclusive on the command line, so `epochs` round-trips only when
    /// `steps` is nil). Tested by a round trip through `recur train --print-options`.
    public var arguments: [String] {
        var a: [String] = []
        func add(_ flag: String, _ value: (any CustomStringConvertible)?) {
            if let value { a.append("--\(flag)=\(value)") }
        }
        func set(_ flag: String, _ on: Bool) { if on { a.append("--\(flag)") } }
        add("task", task.rawValue)
        add("loss", loss.rawValue)
        set("bidirectional", bidirectional)
        add("corpus", corpus)
        add("val-corpus", valCorpus)
        add("synthetic-sentences", syntheticSentences)
        add("tokenizer", tokenizer.rawValue)
        if task == .seq2seq {
            add("source-tokenizer", sourceTokenizer?.rawValue)
            add("target-tokenizer", targetTokenizer.rawValue)
            add("attention", attention.rawValue)
        }
        add("vocab-size", maxVocabulary)
        add("cell", cell.rawValue)
        add("activation", activation.rawValue)
        set("peephole", peephole)
        add("hidden", hidden)
        add("layers", layers)
        add("embed", embed)
        add("dropout", dropout)
        add("batch", batch)
        add("bptt", bptt)
        add("lanes-per-shard", lanesPerShard)
        if let steps { add("steps", steps) } else { add("epochs", epochs) }
        add("time-limit", timeLimit.map { "\($0)s" })
        add("optimizer", optimizer.rawValue)
        add("lr", learningRate)
        add("lr-decay", lrDecay)
        add("lr-decay-every", lrDecayEvery)
        add("lr-schedule", lrSchedule.rawValue)
        add("warmup-steps", warmupSteps)
        add("min-lr", minLR)
        add("schedule-steps", scheduleSteps)
        add("clip", clip)
        add("seed", seed)
        add("threads", threads)
        add("val-fraction", valFraction)
        add("eval-every", evalEvery)
        add("log-every", logEvery)
        add("checkpoint-every", checkpointEvery)
        add("checkpoint-every-seconds", checkpointEverySeconds)
        add("keep", keep)
        add("run-dir", runDirectory)
        add("on-divergence", onDivergence.rawValue)
        set("quiet", !verbose)
        add("fault-nan-at-step", faultNaNAtStep)
        return a
    }
}
