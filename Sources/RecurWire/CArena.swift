// Owns the C memory (structs, strings, pointer arrays) handed to protobuf-c while packing.

/// Allocations that live exactly as long as one packing call; everything is freed on `deinit`.
/// The types placed here are plain C structs and pointers, so no deinitialization is needed.
final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit {
        for block in blocks { block.deallocate() }
    }

    /// A zeroed `T`, passed to `initialize` (a protobuf-c `…__init` function) before being returned.
    func make<T>(_ type: T.Type, _ initialize: (UnsafeMutablePointer<T>) -> Void) -> UnsafeMutablePointer<T> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.stride,
                                                   alignment: MemoryLayout<T>.alignment)
        blocks.append(raw)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.stride)
        let typed = raw.bindMemory(to: T.self, capacity: 1)
        initialize(typed)
        return typed
    }

    /// A NUL-terminated copy of `text` (text after an embedded NUL is invisible to C).
    func string(_ text: String) -> UnsafeMutablePointer<CChar> {
        let bytes = text.utf8CString   // never empty: it ends with NUL
        let pointer = array(CChar.self, count: bytes.count)
        bytes.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.initialize(from: base, count: source.count) }
        }
        return pointer
    }

    /// Room for `count` values of `T`, filled with `fill` (for trivial C types only); at least one
    /// element is allocated so the pointer is never dangling.
    func array<T>(_ type: T.Type, count: Int, fill: T? = nil) -> UnsafeMutablePointer<T> {
        let capacity = max(count, 1)
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: capacity)
        blocks.append(UnsafeMutableRawPointer(pointer))
        if let fill { pointer.initialize(repeating: fill, count: capacity) }
        return pointer
    }

    /// A C array holding `values`.
    func copy<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
        let pointer = array(T.self, count: values.count)
        for (index, value) in values.enumerated() { (pointer + index).initialize(to: value) }
        return pointer
    }
}
