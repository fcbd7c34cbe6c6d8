// Fuzz harness: the run configuration a Welcome carries, parsed and checked by RunConfig.parse, with a round trip.
import FuzzSupport
import RecurRoles

/// libFuzzer's entry point: parses `data` (decoded as UTF-8 with repair, as a Welcome's string
/// field arrives) as a run configuration. A configuration that parses must write out as JSON
/// that parses to the same configuration.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: FuzzInput.bytes(data, size), as: UTF8.self)
    guard let config = try? RunConfig.parse(text) else { return 0 }
    guard let json = try? config.json(), let again = try? RunConfig.parse(json) else {
        preconditionFailure("a parsed configuration does not parse after writing")
    }
    precondition((try? again.json()) == json, "configuration round trip changed it")
    return 0
}
