// ParameterPiecesTests: ParameterPieces partitions [0, P) on block starts, within slices, at rounded layer cuts and maxFloats.
import RecurModel
import XCTest

final class ParameterPiecesTests: XCTestCase {
    private static let block = NormBlocks.blockFloats

    /// The configurations under test: tiny ones (every layer cut inside the first block or two),
    /// medium ones (cuts in distinct blocks, some unaligned), and large ones where `maxFloats` cuts.
    private static let configs: [(label: String, config: ModelConfig)] = [
        ("lstm L1 H7 E5 V6", ModelConfig(cell: .lstm, hidden: 7, layers: 1, embed: 5, vocab: 6)),
        ("lstm L2 H7 E5 V6", ModelConfig(cell: .lstm, hidden: 7, layers: 2, embed: 5, vocab: 6)),
        ("lstm L3 H9 E5 V11", ModelConfig(cell: .lstm, hidden: 9, layers: 3, embed: 5, vocab: 11)),
        ("lstm L3 H24 E10 V40", ModelConfig(cell: .lstm, hidden: 24, layers: 3, embed: 10, vocab: 40)),
        ("lstm L2 H32 E32 V50", ModelConfig(cell: .lstm, hidden: 32, layers: 2, embed: 32, vocab: 50)),
        ("gru L2 H40 E16 V100", ModelConfig(cell: .gru, hidden: 40, layers: 2, embed: 16, vocab: 100)),
        ("gru-min L3 H16 E12 V30", ModelConfig(cell: .gruMin, hidden: 16, layers: 3, embed: 12, vocab: 30)),
        ("rnn L2 H64 E20 V300", ModelConfig(cell: .rnn, hidden: 64, layers: 2, embed: 20, vocab: 300)),
        ("lstm-peephole L2 H31 E17 V57", ModelConfig(cell: .lstm, hidden: 31, layers: 2, embed: 17, vocab: 57, peephole: true)),
        ("lstm L2 H512 E512 V256", ModelConfig(cell: .lstm, hidden: 512, layers: 2, embed: 512, vocab: 256)),
        ("gru L3 H300 E200 V5000", ModelConfig(cell: .gru, hidden: 300, layers: 3, embed: 200, vocab: 5000)),
    ]

    /// The cuts the documentation asks for, before `maxFloats` splitting: every slice start, and
    /// per layer ⌈W_ih_k⌉ (k ≥ 1) and ⌊W_hh_k⌋ on block boundaries; those below P, plus P.
    private func documentedCuts(_ layout: ParameterLayout, layers: Int, shards: ParameterShards) -> Set<Int> {
        let b = Self.block, p = layout.count
        var cuts = Set(shards.ranges.map(\.lowerBound))
        for k in 0..<layers {
            if k > 0 {
                let ih = layout.offset("rnn.weight_ih_l\(k)")
                cuts.insert((ih + b - 1) / b * b)
            }
            cuts.insert(layout.offset("rnn.weight_hh_l\(k)") / b * b)
        }
        return Set(cuts.filter { $0 < p }).union([p])
    }

    /// Every invariant of the pieces of one (configuration, S).
    private func checkInvariants(_ label: String, _ config: ModelConfig, shards s: Int) -> ParameterPieces? {
        let layout = ParameterLayout(config), p = layout.count
        guard let shards = try? ParameterShards(count: p, shards: s) else {
            XCTAssertLessThan(NormBlocks.blockCount(p), s, "\(label): shards refused although there are enough blocks")
            return nil
        }
        let pieces = ParameterPieces(layout: layout, layers: config.layers, shards: shards)
        let r = pieces.ranges, tag = "\(label) S=\(s)"
        XCTAssertFalse(r.isEmpty, tag)
        guard !r.isEmpty else { return nil }

        // A partition of [0, P) in order, no gaps, no overlaps, no empty piece.
        XCTAssertEqual(r.first?.lowerBound, 0, "\(tag): first piece")
        XCTAssertEqual(r.last?.upperBound, p, "\(tag): last piece")
        for (a, b) in zip(r, r.dropFirst()) {
            XCTAssertEqual(a.upperBound, b.lowerBound, "\(tag): gap or overlap between \(a) and \(b)")
        }
        XCTAssertEqual(r.map(\.count).reduce(0, +), p, "\(tag): pieces add up to P")
        for piece in r {
            XCTAssertFalse(piece.isEmpty, "\(tag): empty piece \(piece)")
            XCTAssertEqual(piece.lowerBound % Self.block, 0, "\(tag): piece \(piece) starts inside a block")
            XCTAssertLessThanOrEqual(piece.count, ParameterPieces.maxFloats, "\(tag): piece \(piece) too long")
            let holders = shards.ranges.filter { $0.overlaps(piece) }
            XCTAssertEqual(holders.count, 1, "\(tag): piece \(piece) spans slices \(holders)")
        }

        // Exactly the documented cuts, each split into runs of maxFloats: a piece starts at a
        // documented cut or right after a full-length piece, and a short piece ends at a cut.
        let cuts = documentedCuts(layout, layers: config.layers, shards: shards)
        let starts = Set(r.map(\.lowerBound))
        for c in cuts where c < p { XCTAssertTrue(starts.contains(c), "\(tag): no piece starts at cut \(c)") }
        for (i, piece) in r.enumerated() where !cuts.contains(piece.lowerBound) {
            XCTAssertTrue(i > 0 && r[i - 1].count == ParameterPieces.maxFloats,
                          "\(tag): piece \(piece) starts at no cut and not after a full piece")
        }
        for piece in r where piece.count < ParameterPieces.maxFloats {
            XCTAssertTrue(cuts.contains(piece.upperBound), "\(tag): short piece \(piece) ends at no cut")
        }

        // Each slice is tiled by its own pieces, and every piece lies in one slice's list.
        var listed = 0
        for slice in shards.ranges {
            let mine = pieces.pieces(in: slice)
            listed += mine.count
            XCTAssertEqual(mine.first?.lowerBound, slice.lowerBound, "\(tag): slice \(slice) start")
            XCTAssertEqual(mine.last?.upperBound, slice.upperBound, "\(tag): slice \(slice) end")
            for (a, b) in zip(mine, mine.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound, "\(tag): slice \(slice)") }
        }
        XCTAssertEqual(listed, r.count, "\(tag): pieces(in:) over all slices")
        return pieces
    }

    /// Without layer cuts the pieces are exactly the slices, for every S the shards accept
    /// (async mode's pieces: `RunConfig.parameterPieces` with `byLayer: mode == .sync`).
    func testWithoutLayerCutsThePiecesAreTheSlices() throws {
        var tried = 0
        for (label, config) in Self.configs {
            let layout = ParameterLayout(config)
            for s in 1...3 {
                guard let shards = try? ParameterShards(count: layout.count, shards: s) else { continue }
                let flat = ParameterPieces(layout: layout, layers: config.layers, shards: shards, byLayer: false)
                XCTAssertEqual(flat.ranges, shards.ranges, "\(label) S=\(s)")
                for slice in shards.ranges { XCTAssertEqual(flat.pieces(in: slice), [slice], "\(label) S=\(s)") }
                tried += 1
            }
        }
        XCTAssertEqual(tried, Self.configs.count * 3 - 4)
        // Worked by hand for LSTM H = E = 32, V = 50, L = 2 (20 blocks): slices at 6144 and 13312.
        let layout = ParameterLayout(ModelConfig(cell: .lstm, hidden: 32, layers: 2, embed: 32, vocab: 50))
        let flat = ParameterPieces(layout: layout, layers: 2, shards: try ParameterShards(count: 20146, shards: 3), byLayer: false)
        XCTAssertEqual(flat.ranges, [0..<6144, 6144..<13312, 13312..<20146])
    }

    func testInvariantsForEveryConfigAndSliceCount() {
        var tried = 0
        for (label, config) in Self.configs {
            for s in 1...3 where checkInvariants(label, config, shards: s) != nil { tried += 1 }
        }
        // The tiny models refuse S = 2, 3 (one block); everything else runs all three.
        XCTAssertEqual(tried, Self.configs.count * 3 - 4)
    }

    /// The tiny models put several layer boundaries in one block: the rounded cuts collapse onto
    /// 0 or one block boundary and never make an empty piece.
    func testSeveralCutsInOneBlock() {
        let config = ModelConfig(cell: .lstm, hidden: 9, layers: 3, embed: 5, vocab: 11)
        let layout = ParameterLayout(config), b = Self.block
        let raw = (0..<3).flatMap { k in [layout.offset("rnn.weight_ih_l\(k)"), layout.offset("rnn.weight_hh_l\(k)")] }
        let perBlock = Dictionary(grouping: raw, by: { $0 / b })
        XCTAssertTrue(perBlock.values.contains { $0.count >= 3 }, "the configuration must crowd cuts: \(raw)")
        // By hand: W_ih/W_hh at 55/235, 631/955, 1351/1675, P = 2181: ⌊235⌋ = ⌊955⌋ = 0,
        // ⌈631⌉ = ⌊1675⌋ = 1024, ⌈1351⌉ = 2048.
        XCTAssertEqual(raw, [55, 235, 631, 955, 1351, 1675])
        for s in 1...3 {
            let pieces = checkInvariants("crowded", config, shards: s)
            XCTAssertEqual(pieces?.ranges, [0..<1024, 1024..<2048, 2048..<2181], "S=\(s)")
        }
        // P < 1024: a single piece, the whole vector.
        let tiny = ModelConfig(cell: .lstm, hidden: 7, layers: 2, embed: 5, vocab: 6)
        let tl = ParameterLayout(tiny)
        XCTAssertLessThan(tl.count, b)
        let one = ParameterPieces(layout: tl, layers: 2, shards: try! ParameterShards(count: tl.count, shards: 1))
        XCTAssertEqual(one.ranges, [0..<tl.count])
    }

    /// LSTM H = E = 32, V = 50, L = 2, worked by hand: W_ih_0 at 1600, W_hh_0 at 5696,
    /// W_ih_1 at 10048, W_hh_1 at 14144, P = 20146 (20 blocks). Cuts ⌊5696⌋ = 5120,
    /// ⌈10048⌉ = 10240, ⌊14144⌋ = 13312; slices at 10240 (S = 2), 6144 and 13312 (S = 3).
    func testHandWorkedMediumModel() throws {
        let config = ModelConfig(cell: .lstm, hidden: 32, layers: 2, embed: 32, vocab: 50)
        let layout = ParameterLayout(config)
        XCTAssertEqual(layout.count, 20146)
        func pieces(_ s: Int, byLayer: Bool = true) throws -> [Range<Int>] {
            try ParameterPieces(layout: layout, layers: 2, shards: ParameterShards(count: 20146, shards: s), byLayer: byLayer).ranges
        }
        XCTAssertEqual(try pieces(1), [0..<5120, 5120..<10240, 10240..<13312, 13312..<20146])
        XCTAssertEqual(try pieces(2), [0..<5120, 5120..<10240, 10240..<13312, 13312..<20146])
        XCTAssertEqual(try pieces(3), [0..<5120, 5120..<6144, 6144..<10240, 10240..<13312, 13312..<20146])
        XCTAssertEqual(try pieces(1, byLayer: false), [0..<20146])
        let p3 = try ParameterPieces(layout: layout, layers: 2, shards: ParameterShards(count: 20146, shards: 3))
        XCTAssertEqual(p3.pieces(in: 6144..<13312), [6144..<10240, 10240..<13312])
    }

    /// LSTM H = E = 512, V = 256, L = 2, worked by hand: W_ih_0 at 131072, W_hh_0 at 1179648,
    /// W_ih_1 at 2232320, W_hh_1 at 3280896, P = 4464896; every layer cut is block-aligned and
    /// each run is split every maxFloats = 524288.
    func testMaxFloatsCuts() throws {
        let config = ModelConfig(cell: .lstm, hidden: 512, layers: 2, embed: 512, vocab: 256)
        let layout = ParameterLayout(config)
        XCTAssertEqual(layout.count, 4_464_896)
        XCTAssertEqual(ParameterPieces.maxFloats, 524_288)
        let pieces = ParameterPieces(layout: layout, layers: 2, shards: try ParameterShards(count: layout.count, shards: 1))
        XCTAssertEqual(pieces.ranges, [
            0..<524_288, 524_288..<1_048_576, 1_048_576..<1_179_648,
            1_179_648..<1_703_936, 1_703_936..<2_228_224, 2_228_224..<2_232_320,
            2_232_320..<2_756_608, 2_756_608..<3_280_896,
            3_280_896..<3_805_184, 3_805_184..<4_329_472, 4_329_472..<4_464_896,
        ])
        // With slices, the maxFloats runs restart at each slice start.
        let s3 = try ParameterShards(count: layout.count, shards: 3)
        guard let cut = checkInvariants("H512", config, shards: 3) else { return XCTFail("S=3 refused") }
        for slice in s3.ranges { XCTAssertEqual(cut.pieces(in: slice).first?.lowerBound, slice.lowerBound) }
        XCTAssertTrue(cut.ranges.contains { $0.count == ParameterPieces.maxFloats })
    }

    /// `covered(by:)`: pieces wholly inside the union of the given ranges, whatever their order,
    /// overlaps or empty members.
    func testCoveredBy() throws {
        let config = ModelConfig(cell: .lstm, hidden: 32, layers: 2, embed: 32, vocab: 50)
        let layout = ParameterLayout(config)
        let pieces = ParameterPieces(layout: layout, layers: 2, shards: try ParameterShards(count: layout.count, shards: 3))
        // [0..<5120, 5120..<6144, 6144..<10240, 10240..<13312, 13312..<20146]
        XCTAssertEqual(pieces.ranges.count, 5)
        XCTAssertEqual(pieces.covered(by: []), [])
        XCTAssertEqual(pieces.covered(by: [0..<0, 700..<700]), [])
        XCTAssertEqual(pieces.covered(by: [0..<layout.count]), [0, 1, 2, 3, 4])
        XCTAssertEqual(pieces.covered(by: [-5..<30000]), [0, 1, 2, 3, 4])
        // Unsorted exact pieces.
        XCTAssertEqual(pieces.covered(by: [10240..<13312, 0..<5120]), [0, 3])
        // One float short at either end covers nothing.
        XCTAssertEqual(pieces.covered(by: [1..<5120, 5120..<6143]), [])
        // Adjacent ranges merge across a piece: 0..<3000 and 3000..<6144 cover pieces 0 and 1.
        XCTAssertEqual(pieces.covered(by: [3000..<6144, 0..<3000]), [0, 1])
        // Overlapping, unsorted, with an empty member and a range nested in another.
        XCTAssertEqual(pieces.covered(by: [12000..<20146, 6000..<12500, 7000..<8000, 9000..<9000, 6144..<6200]), [2, 3, 4])
        // A one-float hole inside piece 2 keeps it out, its neighbours in.
        XCTAssertEqual(pieces.covered(by: [5120..<8000, 8001..<13312]), [1, 3])
        // The gradient ranges of this model as backpropagation reports them (dense first layer).
        let head = 18496, ih1 = 10048, hh1 = 14144, ih0 = 1600, hh0 = 5696
        XCTAssertEqual(pieces.covered(by: [head..<layout.count]), [])
        XCTAssertEqual(pieces.covered(by: [head..<layout.count, ih1..<hh1]), [3])
        XCTAssertEqual(pieces.covered(by: [head..<layout.count, ih1..<hh1, hh1..<head]), [3, 4])
        XCTAssertEqual(pieces.covered(by: [head..<layout.count, ih1..<hh1, hh1..<head, ih0..<hh0, hh0..<ih1]), [1, 2, 3, 4])
    }
}
