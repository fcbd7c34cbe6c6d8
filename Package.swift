// swift-tools-version:6.0
// Recur: a distributed trainer for recurrent neural networks.
import PackageDescription

/// On x86-64 the kernels are compiled for AVX2 and FMA (Haswell, 2013, and every later x86-64
/// server): the vectorised gate loops run about twice as fast as with baseline SSE2.
#if arch(x86_64)
let cpu = ["-target-cpu", "haswell"]
#else
let cpu: [String] = []
#endif

/// Hot loops are compiled optimised even in debug builds, so `swift test` runs training-sized
/// work in seconds rather than minutes.
let fast: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug)), .unsafeFlags(cpu)]

let package = Package(
    name: "Recur",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "recur", targets: ["recur"]),
        .library(name: "RecurModel", targets: ["RecurModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // YAML parsing for DeployTests only (the deploy/ files' structure); nothing ships with it.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // Thin C target: OpenBLAS's CBLAS interface (libopenblas-dev). No logic.
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        // Thin C target: libzmq (libzmq3-dev). No logic.
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        // Generated protobuf-c code for proto/recur.proto (regenerate with proto/generate.sh); links
        // libprotobuf-c (libprotobuf-c-dev). No hand-written logic.
        .target(name: "CRecurProto", path: "Sources/CRecurProto", linkerSettings: [.linkedLibrary("protobuf-c")]),
        // Tensors, GEMM (fast and naive reference), element-wise kernels, random numbers.
        .target(name: "RecurMath", dependencies: ["COpenBLAS"], swiftSettings: fast),
        // Cells, stacked language model, losses, optimizers. Knows nothing of files or networks.
        // (RecurMath is tested from RecurModelTests/MathTests.swift.)
        .target(name: "RecurModel", dependencies: ["RecurMath"], swiftSettings: fast),
        // Tokenizers, corpora (files and the built-in synthetic language), stream layout.
        .target(name: "RecurData", dependencies: ["RecurMath"], swiftSettings: fast),
        // safetensors, JSON config, atomic checkpoint folders.
        .target(name: "RecurIO", dependencies: [], swiftSettings: fast),
        // Swift values to and from protobuf messages and raw float32 frames.
        .target(name: "RecurWire", dependencies: ["CRecurProto"], swiftSettings: fast),
        // Thin C target: memfd_create and the file-sealing constants from Linux glibc headers
        // (Glibc's Swift overlay hides them behind _GNU_SOURCE). Header only, no logic.
        .systemLibrary(name: "CSharedMemory", path: "Sources/CSharedMemory"),
        // A small, checked wrapper over ZeroMQ sockets with deadlines on every wait, and same-host
        // shared-memory segments (sealed memfds).
        .target(name: "RecurTransport", dependencies: ["CZeroMQ", "CSharedMemory", "RecurWire"], swiftSettings: fast),
        // The single-process training loop, evaluation, sampling, scoring and metrics.
        .target(name: "RecurTrain", dependencies: ["RecurMath", "RecurModel", "RecurData", "RecurIO"],
                swiftSettings: fast),
        // The coordinator, parameter server and worker: pure state machines plus thin run loops.
        .target(name: "RecurRoles", dependencies: ["RecurTrain", "RecurModel", "RecurMath", "RecurData", "RecurIO",
                                                   "RecurWire", "RecurTransport"], swiftSettings: fast),
        // The one executable.
        .executableTarget(name: "recur", dependencies: [
            "RecurTrain", "RecurModel", "RecurData", "RecurIO", "RecurRoles", "RecurTransport", "RecurWire",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: fast),
        .testTarget(name: "RecurModelTests", dependencies: ["RecurModel", "RecurMath"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "RecurDataTests", dependencies: ["RecurData"]),
        .testTarget(name: "RecurIOTests", dependencies: ["RecurIO"]),
        .testTarget(name: "RecurWireTests", dependencies: ["RecurWire"]),
        .testTarget(name: "RecurTransportTests", dependencies: ["RecurTransport", "CSharedMemory"]),
        .testTarget(name: "RecurRolesTests", dependencies: ["RecurRoles", "RecurWire", "RecurTrain", "RecurModel",
                                                           "RecurMath", "RecurData", "RecurIO"]),
        .testTarget(name: "RecurClusterTests", dependencies: ["RecurTransport", "RecurWire", "RecurIO"]),
        .testTarget(name: "RecurCLITests", dependencies: ["RecurTrain", "RecurIO", "RecurData"]),
        // The deploy/ folder's Docker, Compose, Kubernetes, Slurm and systemd files: structure only.
        .testTarget(name: "DeployTests", dependencies: [.product(name: "Yams", package: "Yams")]),
    ],
    swiftLanguageModes: [.v5]
)
