// ScalarTable: fast map from Unicode scalar values to token ids for char-mode encoding.

/// Maps Unicode scalar values to token ids without allocating per character.
///
/// Scalars below 65 536 (the Basic Multilingual Plane) are looked up in a flat array sized to
/// the largest such scalar present; the rare scalars above it fall back to a dictionary.
struct ScalarTable: Sendable {
    /// id for each scalar value below `dense.count`, or -1 when the scalar is not in the table.
    private var dense: [Int32]
    /// ids of scalars that are too large for `dense`.
    private var sparse: [UInt32: Int32]
    /// Returned for scalars that are not in the table.
    let missing: Int32

    /// The largest scalar value stored in the dense array (exclusive bound on its size).
    static let denseLimit: UInt32 = 65_536

    /// Builds the table from `(scalar value, id)` pairs; `missing` is returned for others.
    init(_ entries: [(UInt32, Int32)], missing: Int32) {
        let maxDense = entries.lazy.map(\.0).filter { $0 < Self.denseLimit }.max()
        dense = Array(repeating: -1, count: maxDense.map { Int($0) + 1 } ?? 0)
        sparse = [:]
        self.missing = missing
        for (value, id) in entries {
            if value < Self.denseLimit {
                dense[Int(value)] = id
            } else {
                sparse[value] = id
            }
        }
    }

    /// The id stored for `value`, or nil.
    @inline(__always)
    func lookup(_ value: UInt32) -> Int32? {
        if value < UInt32(dense.count) {
            let id = dense[Int(value)]
            return id >= 0 ? id : nil
        }
        return sparse.isEmpty ? nil : sparse[value]
    }

    /// Appends the id of every scalar of `text` to `out` (`missing` for unknown scalars).
    func encode(_ text: Substring.UnicodeScalarView, into out: inout [Int32]) {
        let limit = UInt32(dense.count)
        let missing = self.missing
        dense.withUnsafeBufferPointer { table in
            for scalar in text {
                let value = scalar.value
                if value < limit {
                    let id = table[Int(value)]
                    out.append(id >= 0 ? id : missing)
                } else {
                    out.append(sparse[value] ?? missing)
                }
            }
        }
    }
}
