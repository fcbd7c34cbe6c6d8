// DeployChecks+Docker: what deploy/docker/Dockerfile must hold — a Swift build stage on Debian 12
// and a slim runtime stage with exactly the three shared libraries, a non-root user, the recur
// entrypoint and a /runs volume.
import Foundation

enum DockerfileCheck {
    /// One build stage: its `FROM` line and its instructions (keyword, rest of the line).
    struct Stage {
        let from: String
        var instructions: [(keyword: String, arguments: String)] = []
        /// The stage's name (`FROM image AS name`), if it has one.
        var name: String? {
            let w = words(from)
            return w.count >= 3 && w[w.count - 2].uppercased() == "AS" ? w.last : nil
        }
        func arguments(of keyword: String) -> [String] { instructions.filter { $0.keyword == keyword }.map(\.arguments) }
    }

    /// Splits a Dockerfile into stages (continuations joined, comments dropped).
    static func stages(_ text: String) -> [Stage] {
        var out: [Stage] = []
        for line in logicalLines(text) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let keyword = String(trimmed.prefix { !$0.isWhitespace }).uppercased()
            let rest = trimmed.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
            if keyword == "FROM" { out.append(Stage(from: rest)) } else if !out.isEmpty {
                out[out.count - 1].instructions.append((keyword, rest))
            }
        }
        return out
    }

    /// The packages named by every `apt-get install` in a stage.
    static func aptPackages(_ stage: Stage) -> [String] {
        stage.arguments(of: "RUN").flatMap { $0.components(separatedBy: "&&") }.flatMap { command -> [String] in
            let w = words(command)
            guard let i = w.firstIndex(of: "install"), w[..<i].contains("apt-get") else { return [] }
            return w[(i + 1)...].filter { !$0.hasPrefix("-") && !$0.isEmpty }
        }
    }

    /// Problems with a Dockerfile.
    /// - Parameter text: the Dockerfile's text.
    /// - Returns: one message per problem; empty when the file is right.
    static func problems(_ text: String) -> [String] {
        var p: [String] = []
        let all = stages(text)
        guard all.count >= 2, let build = all.first, let runtime = all.last else {
            return ["Dockerfile: needs a build stage and a runtime stage, found \(all.count) FROM"]
        }
        let buildImage = words(build.from).first ?? ""
        if !buildImage.hasPrefix("swift:") || !buildImage.contains("bookworm") {
            p.append("Dockerfile: the build stage must be a Debian 12 Swift image, got \(buildImage)")
        }
        let needed: Set<String> = ["libopenblas-dev", "libzmq3-dev", "libprotobuf-c-dev", "protobuf-c-compiler"]
        if !needed.isSubset(of: aptPackages(build)) { p.append("Dockerfile: the build stage must install \(needed.sorted())") }
        let swiftBuild = build.arguments(of: "RUN").contains {
            $0.contains("swift build -c release --product recur") && $0.contains("--static-swift-stdlib")
        }
        if !swiftBuild { p.append("Dockerfile: no `swift build -c release --product recur --static-swift-stdlib`") }
        for copy in build.arguments(of: "COPY") {
            for source in words(copy).dropLast() where !source.hasPrefix("--") {
                let found = try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot.path)
                    .contains { fnmatch(source, $0, 0) == 0 }
                if found != true { p.append("Dockerfile: COPY \(source): nothing at the repository root matches") }
            }
        }
        if words(runtime.from).first != "debian:bookworm-slim" { p.append("Dockerfile: the runtime stage must be debian:bookworm-slim") }
        let runtimePackages = aptPackages(runtime)
        if runtimePackages.sorted() != ["libopenblas0", "libprotobuf-c1", "libzmq5"] {
            p.append("Dockerfile: the runtime must install exactly libzmq5 libprotobuf-c1 libopenblas0, got \(runtimePackages)")
        }
        let runs = runtime.arguments(of: "RUN").joined(separator: " ")
        if !runs.contains("--no-install-recommends") { p.append("Dockerfile: runtime apt-get without --no-install-recommends") }
        if !runs.contains("rm -rf /var/lib/apt/lists/*") { p.append("Dockerfile: runtime keeps the apt lists") }
        let copied = runtime.arguments(of: "COPY").contains {
            $0.hasPrefix("--from=\(build.name ?? "0") ") && $0.hasSuffix(" /usr/local/bin/recur")
        }
        if !copied { p.append("Dockerfile: the runtime must COPY --from=\(build.name ?? "0") … /usr/local/bin/recur") }
        let user = runtime.arguments(of: "USER").last ?? "root"
        if user.isEmpty || user.hasPrefix("root") || user.hasPrefix("0") { p.append("Dockerfile: the runtime runs as root") }
        let entry = runtime.arguments(of: "ENTRYPOINT").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String]
        if entry != ["recur"] { p.append("Dockerfile: ENTRYPOINT must be [\"recur\"] (exec form)") }
        if !runtime.arguments(of: "VOLUME").contains(where: { $0.contains("/runs") }) { p.append("Dockerfile: no VOLUME /runs") }
        return p
    }
}
