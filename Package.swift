// swift-tools-version:6.0
// Recur: a distributed trainer for recurrent neural networks.
import PackageDescription

/// On x86-64 the kernels are compiled for AVX2 and FMA (Haswell, 2013, and every later x86-64
/// server): the vectorised gate loops and the packed recurrent products (whose fused multiply-adds
/// become calls to `fmaf` without FMA) run much faster than with baseline SSE2 (bench/cpu_flags.sh
/// measures it). `recur` checks the CPU at start-up and names the portable rebuild on a CPU
/// without them: `swift build -c release -Xswiftc -target-cpu -Xswiftc x86-64` (the last
/// `-target-cpu` wins).
#if arch(x86_64)
let cpu: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let cpu: [SwiftSetting] = []
#endif

/// Hot loops are compiled optimised even in debug builds, so `swift test` runs training-sized
/// work in seconds rather than minutes.
let optimisedDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

/// The settings of every library target but RecurCPU. Both are unsafe flags, which is why the
/// package vends no library product (see `products`).
let fast = optimisedDebug + cpu

let package = Package(
    name: "Recur",
    // Synchronization's `Atomic` (the stop flags set from signal handlers) needs macOS 15.
    platforms: [.macOS(.v15)],
    // Only the executable is vended. A library product would impose the flags above on every
    // package that depends on it (its binaries would need AVX2), and SwiftPM before tools-version
    // 6.2 refuses a versioned dependency whose product has unsafe flags at all. The targets stay
    // libraries inside the package, which its tests import.
    products: [
        .executable(name: "recur", targets: ["recur"]),
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
        // Generated protobuf-c code for proto/tensorboard.proto, TensorBoard's event messages
        // (regenerate with proto/generate.sh); links libprotobuf-c. No hand-written logic.
        .target(name: "CTensorBoardProto", path: "Sources/CTensorBoardProto",
                linkerSettings: [.linkedLibrary("protobuf-c")]),
        // Thin C target: what CPU the build assumes and CPUID's answer. Header only, no logic.
        .systemLibrary(name: "CCPUFeatures", path: "Sources/CCPUFeatures"),
        // recur's start-up check of the CPU and its message. Compiled for baseline x86-64, like
        // recur itself, so that it runs on any x86-64 before any AVX2 code does.
        .target(name: "RecurCPU", dependencies: ["CCPUFeatures"], swiftSettings: optimisedDebug),
        // Tensors, GEMM (fast and naive reference), element-wise kernels, random numbers.
        .target(name: "RecurMath", dependencies: ["COpenBLAS", "CCPUFeatures"], swiftSettings: fast),
        // Cells, the stacked language model, the example models (classifier, tagger), losses,
        // optimizers. Knows nothing of files or networks.
        // (RecurMath is tested from RecurModelTests/MathTests.swift.)
        .target(name: "RecurModel", dependencies: ["RecurMath"], swiftSettings: fast),
        // Tokenizers, corpora (files and the built-in synthetic language), stream layout.
        .target(name: "RecurData", dependencies: ["RecurMath"], swiftSettings: fast),
        // safetensors, JSON config, atomic checkpoint folders.
        .target(name: "RecurIO", dependencies: [], swiftSettings: fast),
        // TensorBoard event files: a writer of scalar summaries and a checking reader (TFRecord
        // framing with RecurIO's CRC32C).
        .target(name: "RecurBoard", dependencies: ["RecurIO", "CTensorBoardProto"], swiftSettings: fast),
        // Swift values to and from protobuf messages and raw float32 frames.
        .target(name: "RecurWire", dependencies: ["CRecurProto"], swiftSettings: fast),
        // Thin C target: memfd_create and the file-sealing constants from Linux glibc headers
        // (Glibc's Swift overlay hides them behind _GNU_SOURCE). Header only, no logic.
        .systemLibrary(name: "CSharedMemory", path: "Sources/CSharedMemory"),
        // A small, checked wrapper over ZeroMQ sockets with deadlines on every wait, and same-host
        // shared-memory segments (sealed memfds).
        .target(name: "RecurTransport", dependencies: ["CZeroMQ", "CSharedMemory", "RecurWire"], swiftSettings: fast),
        // The single-process training loop, evaluation, sampling, scoring and metrics.
        .target(name: "RecurTrain", dependencies: ["RecurMath", "RecurModel", "RecurData", "RecurIO", "RecurBoard"],
                swiftSettings: fast),
        // The coordinator, parameter server and worker: pure state machines plus thin run loops.
        .target(name: "RecurRoles", dependencies: ["RecurTrain", "RecurModel", "RecurMath", "RecurData", "RecurIO",
                                                   "RecurWire", "RecurTransport", "CSharedMemory"], swiftSettings: fast),
        // The one executable. Compiled for baseline x86-64, so that its start-up check of the CPU
        // runs on any x86-64 before any AVX2 code does.
        .executableTarget(name: "recur", dependencies: [
            "RecurTrain", "RecurModel", "RecurData", "RecurIO", "RecurRoles", "RecurTransport", "RecurWire", "RecurMath",
            "RecurCPU", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: optimisedDebug),
        .testTarget(name: "RecurModelTests", dependencies: ["RecurModel", "RecurMath", "RecurCPU"],
                    resources: [.copy("Fixtures")]),
        // The fixture is corpus BLEU by sacrebleu (scripts/bleu_reference.py rebuilds it).
        .testTarget(name: "RecurDataTests", dependencies: ["RecurData"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RecurIOTests", dependencies: ["RecurIO"]),
        // The fixture is an event file written by TensorBoard's own writer
        // (scripts/tensorboard_fixture.py rebuilds it).
        .testTarget(name: "RecurBoardTests", dependencies: ["RecurBoard"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RecurWireTests", dependencies: ["RecurWire"]),
        .testTarget(name: "RecurTransportTests", dependencies: ["RecurTransport", "CSharedMemory"]),
        .testTarget(name: "RecurRolesTests", dependencies: ["RecurRoles", "RecurWire", "RecurTrain", "RecurModel",
                                                           "RecurMath", "RecurData", "RecurIO"]),
        .testTarget(name: "RecurClusterTests", dependencies: ["RecurTransport", "RecurWire", "RecurIO", "RecurBoard"]),
        .testTarget(name: "RecurCLITests", dependencies: ["RecurTrain", "RecurIO", "RecurData", "RecurMath"]),
        // The deploy/ folder's Docker, Compose, Kubernetes, Slurm and systemd files: structure only.
        .testTarget(name: "DeployTests", dependencies: [.product(name: "Yams", package: "Yams")]),
    ],
    swiftLanguageModes: [.v6]
)
