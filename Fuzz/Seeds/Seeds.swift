// fuzz-seeds: writes the committed seed corpus (Fuzz/corpus/<harness>/) with the project's own encoders.
import Foundation
import FuzzSupport
@testable import RecurBoard
import RecurData
@testable import RecurIO
import RecurMath
import RecurModel
import RecurRoles
import RecurTrain
import RecurTransport
import RecurWire

/// Builds a handful of valid inputs per harness, so the fuzzers start from the formats' real
/// shapes instead of discovering them byte by byte. Run by `scripts/fuzz.sh --seeds`.
@main
struct Seeds {
    /// Writes every harness's seeds under the folder given as the only argument.
    static func main() throws {
        guard CommandLine.arguments.count == 2 else {
            FileHandle.standardError.write(Data("usage: fuzz-seeds CORPUS-FOLDER\n".utf8))
            exit(2)
        }
        let root = CommandLine.arguments[1]
        let sets: [(String, [(String, [UInt8])])] = [
            ("wire", try wire()), ("safetensors", try safeTensors()), ("manifest", manifest()),
            ("trainer-state", try trainerState()), ("json", try json()), ("curve-keys", try curveKeys()),
            ("corpus", corpus()), ("classify", classify()), ("tag", tag()), ("z85", z85()),
            ("tensorboard", tensorBoard()), ("metrics-log", try metricsLog()), ("model-file", try modelFile()),
            ("run-config", try runConfig()), ("pairs", pairs()),
        ]
        for (harness, seeds) in sets {
            let folder = "\(root)/\(harness)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (name, bytes) in seeds {
                try Data(bytes).write(to: URL(fileURLWithPath: "\(folder)/\(name)"))
            }
        }
    }

    /// One message per common body kind, frames joined with `FuzzInput.joined`.
    static func wire() throws -> [(String, [UInt8])] {
        let run: UInt64 = 0x0123_4567_89AB_CDEF
        let lanes: UInt32 = 3, t: UInt32 = 4
        let state = try WireFrame(name: "state", shape: [Int(lanes), 1, 1, 2], floats: (0..<6).map { Float($0) / 3 })
        let messages: [(String, WireBody, [WireFrame])] = [
            ("hello", .hello(WireHello(workerID: "worker-0", pid: 7, hostname: "node", threads: 2,
                                       securityMechanism: "null")), []),
            ("task", .task(WireTask(step: 3, shard: 0, shardCount: 2, firstLane: 0, laneCount: lanes, steps: t,
                                    weightVersion: 2, leaseID: 5)),
             [try WireFrame(name: "inputs", shape: [Int(t), Int(lanes)], int32s: (0..<12).map { Int32($0 % 5) }),
              try WireFrame(name: "targets", shape: [Int(t), Int(lanes)], int32s: (0..<12).map { Int32($0 % 3) }), state]),
            ("examples", .task(WireTask(step: 3, shard: 1, shardCount: 2, firstLane: 0, laneCount: 2, steps: 3,
                                        weightVersion: 2, leaseID: 6, kind: .examples)),
             [try WireFrame(name: "inputs", shape: [3, 2], int32s: [1, 2, 3, 4, 5, 6]),
              try WireFrame(name: "lengths", shape: [2], int32s: [3, 1]),
              try WireFrame(name: "targets", shape: [2], int32s: [0, 1])]),
            ("result", .result(WireResult(leaseID: 5, step: 3, shard: 0, weightVersion: 2, lossSum: 4.5,
                                          tokenCount: 12, computeMs: 1.5)), [state]),
            ("gradient", .gradient(WireGradient(leaseID: 5, step: 3, shard: 0, shardCount: 2, weightVersion: 2,
                                                tokenCount: 12, lossSum: 4.5)),
             [try WireFrame(name: "gradient", shape: [4], offset: 0, floats: [0.5, -1, 0, 2]),
              try WireFrame(name: "gradient", shape: [2], offset: 4, floats: [1, 1])]),
            ("weights", .weights(WireWeights(version: 2)),
             [try WireFrame(name: "params", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])]),
            ("step-applied", .stepApplied(WireStepApplied(version: 3, step: 3, gradNorm: 0.25, staleness: 0)), []),
            ("heartbeat", .heartbeat(WireHeartbeat(nowMs: 1_700_000_000_000, state: "computing")), []),
            ("reject", .reject(WireReject(code: .stale, detail: "old weights", refusedSequence: 9)), []),
            ("status-request", .statusRequest, []),
        ]
        var seeds: [(String, [UInt8])] = []
        for (name, body, frames) in messages {
            let message = WireMessage(runID: run, sender: "worker-0", sequence: 1, body: body, frames: frames)
            seeds.append((name, FuzzInput.joined(WireCodec.encode(message))!))
        }
        // A gradient whose payload travels in shared memory: the wire frame is empty.
        let shared = try WireFrame(name: "gradient", shape: [4], floats: [1, 2, 3, 4])
            .sharing(WireSharedRef(token: 2, slot: 0, byteOffset: 64, generation: 1), payload: WireBytes([UInt8](repeating: 0, count: 16)))
        let sharedMessage = WireMessage(runID: run, sender: "worker-1", sequence: 2,
                                        body: .gradient(WireGradient(leaseID: 7, step: 3, shard: 1, shardCount: 2,
                                                                     weightVersion: 2, tokenCount: 4, lossSum: 1)),
                                        frames: [shared])
        seeds.append(("gradient-shared", FuzzInput.joined(WireCodec.encode(sharedMessage))!))
        return seeds
    }

    /// Small models' parameter files, with and without metadata.
    static func safeTensors() throws -> [(String, [UInt8])] {
        [("two-tensors", try SafeTensors.encode([TensorRecord(name: "embed", shape: [3, 2], values: [1, 2, 3, 4, 5, 6]),
                                                 TensorRecord(name: "bias", shape: [2], values: [0.5, -0.5])],
                                                metadata: ["format": "recur", "step": "12"])),
         ("scalar", try SafeTensors.encode([TensorRecord(name: "s", shape: [], values: [3])], metadata: [:])),
         ("empty", try SafeTensors.encode([], metadata: [:]))]
    }

    /// Manifests as the checkpoint store writes them.
    static func manifest() -> [(String, [UInt8])] {
        [("two-files", CheckpointManifest(step: 40, files: [.init(name: "model.safetensors", byteCount: 1024, crc32c: 0xDEADBEEF),
                                                           .init(name: "trainer.json", byteCount: 300, crc32c: 7)]).encoded()),
         ("no-files", CheckpointManifest(step: 0, files: []).encoded())]
    }

    /// `trainer.json` for a language model and for a classifier.
    static func trainerState() throws -> [(String, [UInt8])] {
        var classify = TrainOptions()
        classify.task = .classify
        return [("language-model", try TrainerState(options: TrainOptions(), vocab: 40, step: 10, totalSteps: 100).encoded()),
                ("classify", try TrainerState(options: classify, vocab: 90, step: 3, totalSteps: 9, lr: 0.01).encoded())]
    }

    /// JSON documents covering every syntax the parser knows.
    static func json() throws -> [(String, [UInt8])] {
        [("manifest", manifest()[0].1),
         ("kinds", Array(#"{"a":[1,-2.5e-3,true,false,null],"s":"tab\t \u00e9 \ud83d\ude00 \"q\"","o":{}}"#.utf8)),
         ("config", Array(#"{"cell":"gru","hidden":64,"layers":[2]}"#.utf8))]
    }

    /// Key files as `recur keygen` writes them: full, and a client's copy without other secrets.
    static func curveKeys() throws -> [(String, [UInt8])] {
        let keys = try CurveKeys.generate(clients: ["worker-0", "ps-0"])
        return [("full", Array(keys.text().utf8)),
                ("client", Array(keys.withoutSecrets(keepingClient: "worker-0").text().utf8))]
    }

    /// Texts with ASCII, multi-byte characters, a byte-order mark and Windows line endings.
    static func corpus() -> [(String, [UInt8])] {
        [("ascii", Array("the cat sat on the mat.\nthe dog ran.\n".utf8)),
         ("multibyte", Array("naïve café — 日本語 😀\n".utf8)),
         ("bom-crlf", [0xEF, 0xBB, 0xBF] + Array("line one\r\nline two\r\n".utf8))]
    }

    /// Classification files as `LabeledDataFormat` writes them.
    static func classify() -> [(String, [UInt8])] {
        let examples = [ClassifyExample(label: "pos", text: "a fine film", line: 1),
                        ClassifyExample(label: "neg", text: "dull\tand long", line: 2)]
        return [("two", Array(LabeledDataFormat.classifyText(examples).utf8)),
                ("bom-crlf", [0xEF, 0xBB, 0xBF] + Array("pos\tgood\r\n\r\nneg\tbad\r\n".utf8))]
    }

    /// CoNLL-style tagging files as `LabeledDataFormat` writes them.
    static func tag() -> [(String, [UInt8])] {
        let sentences = [TagSentence(tokens: ["Ann", "met", "Bob"], tags: ["B-PER", "O", "B-PER"], line: 1),
                         TagSentence(tokens: ["in", "Rome"], tags: ["O", "B-LOC"], line: 5)]
        return [("two", Array(LabeledDataFormat.tagText(sentences).utf8)),
                ("docstart", Array(LabeledDataFormat.tagText(sentences, documentStart: true).utf8))]
    }

    /// Z85 texts of 4, 8 and 32 bytes.
    static func z85() -> [(String, [UInt8])] {
        [[0x86, 0x4F, 0xD2, 0x6F], Array(0..<8), (0..<32).map { UInt8(($0 * 37) & 0xFF) }].enumerated().map {
            ("bytes-\($0.element.count)", Array(Z85.encode($0.element)!.utf8))
        }
    }

    /// Event files: the fixture TensorBoard's own writer made, and records from ours.
    static func tensorBoard() -> [(String, [UInt8])] {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Tests/RecurBoardTests/Fixtures/tensorboard_scalars.tfevents")
        let ours = (1...3).flatMap {
            EventCodec.record(step: $0, scalars: [("train/loss", 2.0 / Double($0)), ("opt/lr", 0.01)],
                              wallTime: 1_700_000_000 + Double($0))!
        }
        return [("tensorboard-writer", [UInt8]((try? Data(contentsOf: fixture)) ?? Data())), ("recur-writer", ours)]
    }

    /// metrics.jsonl as `MetricsWriter` writes it.
    static func metricsLog() throws -> [(String, [UInt8])] {
        let path = NSTemporaryDirectory() + "fuzz-seeds-\(getpid()).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try MetricsWriter(path: path)
        try writer.append([("step", .int(1)), ("loss", .double(2.5)), ("tokens", .int(640)), ("seconds", .double(0.1))])
        try writer.append([("step", .int(2)), ("loss", .double(2.25)), ("val_loss", .double(2.4)),
                           ("val_accuracy", .double(0.5))])
        writer.close()
        return [("two-lines", [UInt8](FileManager.default.contents(atPath: path) ?? Data()))]
    }

    /// `model.safetensors` of a one-layer language model and of a small encoder–decoder, as
    /// checkpoints write them (hidden 8, so each file stays a few KiB).
    static func modelFile() throws -> [(String, [UInt8])] {
        let tokenizer = try Tokenizer.build(kind: .char, text: "the cat sat.")
        let lm = ModelConfig(cell: .lstm, hidden: 8, layers: 1, vocab: tokenizer.vocabulary.count)
        var head = TaskHead(task: .seq2seq, loss: .softmax, labels: [])
        head.targetTokenizer = .char
        head.targetVocab = try Tokenizer.build(kind: .char, text: "2024-01-31").vocabulary.tokens
        let target = try head.targetCodec()!
        let s2s = ModelConfig(cell: .gru, hidden: 8, layers: 1, vocab: tokenizer.vocabulary.count,
                              targetVocab: target.size, attention: .general)
        return try [("language-model", lm, TaskHead.languageModel), ("seq2seq", s2s, head)].map { name, config, head in
            let params = FloatBuffer(count: ParameterLayout(config).count)
            ParameterInit.fill(params, config: config, seed: 7)
            return (name, try ModelFile.encode(config: config, params: params, tokenizer: tokenizer, head: head))
        }
    }

    /// The run configurations a coordinator's Welcome carries: a language model's, an async
    /// classifier's with a time limit, and an encoder–decoder's.
    static func runConfig() throws -> [(String, [UInt8])] {
        var classify = TrainOptions()
        classify.task = .classify
        classify.timeLimit = 60
        var example = RunConfig(options: classify, vocab: 30, totalSteps: 10, mode: .async, staleness: 2)
        example.model.outputs = 3
        var pairs = RunConfig(options: TrainOptions(), vocab: 40, totalSteps: 5)
        pairs.task = .seq2seq
        pairs.model.targetVocab = 14
        pairs.model.attention = .general
        pairs.targetSteps = 12
        return [("language-model", Array(try RunConfig(options: TrainOptions(), vocab: 40, totalSteps: 100).json().utf8)),
                ("classify-async", Array(try example.json().utf8)), ("seq2seq", Array(try pairs.json().utf8))]
    }

    /// Sentence-pair files: plain, and with a byte-order mark, Windows line endings, a blank line
    /// and an attribution column (as the downloadable `fra.txt` files have).
    static func pairs() -> [(String, [UInt8])] {
        [("two", Array("Go.\tVa !\nI see.\tJe vois.\n".utf8)),
         ("bom-crlf-attribution", [0xEF, 0xBB, 0xBF]
            + Array("Hi.\tSalut !\tCC-BY 2.0 (France)\r\n\r\n 3 May 2024 \t2024-05-03\r\n".utf8))]
    }
}
