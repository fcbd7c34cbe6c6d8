// Fuzz harness: a checkpoint's manifest.json parsed by CheckpointManifest, with a round trip.
import FuzzSupport
@testable import RecurIO

/// libFuzzer's entry point: parses `data` as a manifest. A manifest that parses must encode to
/// bytes that parse back to the same manifest (up to file order, which `encoded` sorts).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let manifest = try? CheckpointManifest.parse(FuzzInput.bytes(data, size)) else { return 0 }
    guard let again = try? CheckpointManifest.parse(manifest.encoded()) else {
        preconditionFailure("an encoded manifest does not parse")
    }
    precondition(again.encoded() == manifest.encoded(), "manifest round trip changed it")
    return 0
}
