// swift-tools-version:6.0
// Recur's libFuzzer harnesses: one executable per decoder of untrusted bytes (scripts/fuzz.sh runs them).
import PackageDescription

/// The project's library targets are compiled here again, from symlinks to `../Sources`, rather
/// than imported from the main package: the main package vends only the `recur` executable, and
/// its targets are reachable only from inside it. Compiling them in this separate package keeps
/// the main build untouched and lets the harnesses reach internal decoders (`JSONParser`,
/// `CheckpointManifest`) through `@testable import`, which `-enable-testing` allows in release.
/// The sanitizers (`-sanitize=fuzzer,address`) are given on the command line by
/// scripts/fuzz.sh, so they cover every module, C included.
let testable: [SwiftSetting] = [.unsafeFlags(["-enable-testing"])]

/// A harness: `Harnesses/<name>/`, linking the modules that hold its decoder.
func harness(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies, path: "Harnesses/\(name)")
}

let package = Package(
    name: "RecurFuzz",
    platforms: [.macOS(.v15)],
    targets: [
        // The project's own targets, unchanged (Sources/* are symlinks to ../Sources/*).
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ"),
        .target(name: "CRecurProto", path: "Sources/CRecurProto", linkerSettings: [.linkedLibrary("protobuf-c")]),
        .target(name: "CTensorBoardProto", path: "Sources/CTensorBoardProto",
                linkerSettings: [.linkedLibrary("protobuf-c")]),
        .systemLibrary(name: "CCPUFeatures", path: "Sources/CCPUFeatures"),
        .systemLibrary(name: "CSharedMemory", path: "Sources/CSharedMemory"),
        .target(name: "RecurMath", dependencies: ["COpenBLAS", "CCPUFeatures"], path: "Sources/RecurMath",
                swiftSettings: testable),
        .target(name: "RecurModel", dependencies: ["RecurMath"], path: "Sources/RecurModel", swiftSettings: testable),
        .target(name: "RecurData", dependencies: ["RecurMath"], path: "Sources/RecurData", swiftSettings: testable),
        .target(name: "RecurIO", path: "Sources/RecurIO", swiftSettings: testable),
        .target(name: "RecurBoard", dependencies: ["RecurIO", "CTensorBoardProto"], path: "Sources/RecurBoard",
                swiftSettings: testable),
        .target(name: "RecurWire", dependencies: ["CRecurProto"], path: "Sources/RecurWire", swiftSettings: testable),
        .target(name: "RecurTransport", dependencies: ["CZeroMQ", "CSharedMemory", "RecurWire"],
                path: "Sources/RecurTransport", swiftSettings: testable),
        .target(name: "RecurTrain", dependencies: ["RecurMath", "RecurModel", "RecurData", "RecurIO", "RecurBoard"],
                path: "Sources/RecurTrain", swiftSettings: testable),
        .target(name: "RecurRoles", dependencies: ["RecurTrain", "RecurModel", "RecurMath", "RecurData", "RecurIO",
                                                   "RecurWire", "RecurTransport", "CSharedMemory"],
                path: "Sources/RecurRoles", swiftSettings: testable),

        // What the harnesses share: turning libFuzzer's input into bytes and wire frames.
        .target(name: "FuzzSupport", path: "Support"),

        // Writes the seed corpus with the project's encoders; built without sanitizers.
        .executableTarget(name: "fuzz-seeds", dependencies: ["FuzzSupport", "RecurWire", "RecurIO", "RecurTrain",
                                                             "RecurTransport", "RecurData", "RecurBoard", "RecurRoles"],
                          path: "Seeds"),

        harness("wire", ["RecurWire"]),
        harness("safetensors", ["RecurIO"]),
        harness("manifest", ["RecurIO"]),
        harness("trainer-state", ["RecurTrain"]),
        harness("json", ["RecurIO"]),
        harness("curve-keys", ["RecurTransport"]),
        harness("corpus", ["RecurData"]),
        harness("classify", ["RecurData"]),
        harness("tag", ["RecurData"]),
        harness("z85", ["RecurTransport"]),
        harness("tensorboard", ["RecurBoard"]),
        harness("metrics-log", ["RecurTrain"]),
        harness("model-file", ["RecurTrain"]),
        harness("run-config", ["RecurRoles"]),
        harness("pairs", ["RecurData"]),
    ],
    swiftLanguageModes: [.v6]
)
