// DeployTests: the deploy/ folder's files have the structure the roles need (each check on the
// real file must find nothing), and each check does find a planted fault (so none passes blindly).
import Foundation
import XCTest

final class DeployTests: XCTestCase {
    // MARK: - The real files

    func testComposeFile() throws {
        XCTAssertEqual(try ComposeCheck.problems(deployText("docker/compose.yaml")), [])
    }

    func testKubernetesManifests() throws {
        XCTAssertEqual(try KubernetesCheck.problems(kubernetesFiles()), [])
    }

    func testDockerfile() throws {
        XCTAssertEqual(DockerfileCheck.problems(try deployText("docker/Dockerfile")), [])
        let ignore = try deployText("docker/Dockerfile.dockerignore").components(separatedBy: "\n")
        for pattern in [".build", ".build-*", ".git"] {
            XCTAssertTrue(ignore.contains(pattern), "Dockerfile.dockerignore must exclude \(pattern)")
        }
        XCTAssertTrue(try deployText("docker/.gitignore").contains("keys/"), "deploy/docker/keys/ must be ignored by git")
    }

    func testSlurmScriptParses() throws {
        let bash = Process()
        bash.executableURL = URL(fileURLWithPath: "/bin/bash")
        bash.arguments = ["-n", deployRoot.appendingPathComponent("slurm/recur.sbatch").path]
        let errors = Pipe()
        bash.standardError = errors
        try bash.run()
        bash.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(bash.terminationStatus, 0, "bash -n recur.sbatch: \(message)")
        XCTAssertEqual(SlurmCheck.problems(try deployText("slurm/recur.sbatch")), [])
    }

    func testSystemdUnits() throws {
        let environment = SystemdCheck.environmentFile(try deployText("systemd/recur.env"))
        for key in ["RECUR_MASTER_ADDR", "RECUR_MASTER_PORT", "RECUR_PS_SHARDS", "RECUR_RUN_ID"] {
            XCTAssertNotNil(environment[key], "recur.env must set \(key)")
        }
        for name in ["recur-coordinator.service", "recur-ps@.service", "recur-worker@.service"] {
            let text = try deployText("systemd/\(name)")
            XCTAssertEqual(SystemdCheck.problems(name: name, text: text, environment: environment), [], name)
        }
    }

    /// Every `recur launch` and `recur keygen` anywhere in deploy/ and in the deploy guide
    /// (comments included) uses only their flags, and every RECUR_* name is one `recur launch` reads.
    func testEveryFlagAndVariableIsKnown() throws {
        var checked = 0
        for (path, text) in try allDeployTexts() {
            for args in invocations(of: "launch", in: text) {
                checked += 1
                XCTAssertEqual(flagProblems(args, allowed: launchFlags, origin: path), [])
            }
            for args in invocations(of: "keygen", in: text) {
                XCTAssertEqual(flagProblems(args, allowed: keygenFlags, origin: path), [])
            }
            for name in recurVariables(in: text) {
                XCTAssertTrue(launchVariables.contains(name), "\(path): unknown variable \(name)")
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 8, "expected `recur launch` in the guide, sbatch and unit files")
        // The guide's tables name only launch flags.
        for row in try repositoryText(deployGuide).components(separatedBy: "\n") where row.hasPrefix("| ") {
            XCTAssertEqual(flagProblems([row], allowed: launchFlags, origin: "\(deployGuide) table"), [])
        }
    }

    func testPrometheusScrapesTheCoordinator() throws {
        XCTAssertEqual(try MetricsCheck.scrapeProblems(deployText("k8s/coordinator.yaml")), [])
    }

    func testGrafanaDashboardChartsRecurMetrics() throws {
        XCTAssertEqual(MetricsCheck.dashboardProblems(try deployText("grafana/recur.json")), [])
        XCTAssertEqual(MetricsCheck.metricNames(in: "rate(recur_a_total[5m]) / x_recur_b + recur:c"), ["recur_a_total"])
    }

    // MARK: - Each check finds a planted fault

    func testMetricsChecksFindFaults() throws {
        let coordinator = try deployText("k8s/coordinator.yaml")
        for (fault, from, to) in [
            ("not scraped", #"prometheus.io/scrape: "true""#, #"prometheus.io/scrape: "false""#),
            ("wrong path", "prometheus.io/path: /metrics", "prometheus.io/path: /stats"),
            ("port not opened", #"prometheus.io/port: "9464""#, #"prometheus.io/port: "9465""#),
            ("port the rendezvous one", #"prometheus.io/port: "9464""#, #"prometheus.io/port: "29500""#),
            ("no annotations", "      annotations:\n", "      notes:\n"),
        ] {
            XCTAssertNotEqual(try MetricsCheck.scrapeProblems(planted(coordinator, from, to)), [], fault)
        }
        let dashboard = try deployText("grafana/recur.json")
        for (fault, from, to) in [
            ("not JSON", #""title": "Recur training","#, #""title": "Recur training""#),
            ("unknown metric", #""expr": "recur_grad_norm""#, #""expr": "recur_gradient_norm""#),
            ("no recur metric", #""expr": "recur_step""#, #""expr": "up""#),
            ("validation loss not charted", #""expr": "recur_val_loss""#, #""expr": "recur_train_loss * 2""#),
            ("workers not told apart", #""legendFormat": "{{worker}}""#, #""legendFormat": "worker""#),
            ("other datasource", #""query": "prometheus""#, #""query": "loki""#),
        ] {
            XCTAssertNotEqual(MetricsCheck.dashboardProblems(planted(dashboard, from, to, firstOnly: true)), [], fault)
        }
    }


    func testComposeCheckFindsFaults() throws {
        let good = try deployText("docker/compose.yaml")
        for (fault, from, to) in [
            ("fewer workers", "replicas: 2", "replicas: 1"),
            ("not launch", #"command: ["launch", "--role", "ps""#, #"command: ["ps", "--role", "ps""#),
            ("unknown flag", #""--seed", "1""#, #""--sed", "1""#),
            ("unwired secret", "RECUR_KEYS: /run/secrets/worker_keys", "RECUR_KEYS: /run/secrets/other"),
            ("unknown variable", "RECUR_RUN_ID:", "RECUR_RUNID:"),
        ] {
            XCTAssertNotEqual(try ComposeCheck.problems(planted(good, from, to)), [], fault)
        }
    }

    func testKubernetesCheckFindsFaults() throws {
        let good = try kubernetesFiles()
        for (fault, file, from, to) in [
            ("shard index not from the label", "ps.yaml", "apps.kubernetes.io/pod-index", "statefulset.kubernetes.io/pod-name"),
            ("replicas differ from shards", "configmap.yaml", #"RECUR_PS_SHARDS: "2""#, #"RECUR_PS_SHARDS: "3""#),
            ("no launch", "workers.yaml", "args: [launch,", "args: [run,"),
            ("missing file", "kustomization.yaml", "- ps.yaml", "- pss.yaml"),
            ("unnamed document", "namespace.yaml", "  name: recur\n  labels", "  nom: recur\n  labels"),
            ("no claim", "coordinator.yaml", "- name: runs\n              mountPath: /runs", "- name: tmp2\n              mountPath: /runs"),
            ("undefined reference", "configmap.yaml", "TRAIN_SEED:", "TRAIN_SEEDS:"),
            ("worker holds every secret", "workers.yaml", "- key: worker.keys", "- key: recur.keys"),
            ("no limits", "workers.yaml", "limits:\n              cpu: \"1\"", "limits:\n              gpu: \"1\""),
        ] {
            var files = good
            files[file] = planted(good[file]!, from, to)
            XCTAssertNotEqual(try KubernetesCheck.problems(files), [], fault)
        }
    }

    func testDockerfileCheckFindsFaults() throws {
        let good = try deployText("docker/Dockerfile")
        for (fault, from, to) in [
            ("extra runtime package", "libzmq5 libprotobuf-c1 libopenblas0", "libzmq5 libprotobuf-c1 libopenblas0 curl"),
            ("root", "USER 10001:10001", "USER root"),
            ("shell entrypoint", #"ENTRYPOINT ["recur"]"#, "ENTRYPOINT recur"),
            ("one stage", "FROM debian:bookworm-slim AS runtime", "WORKDIR /runtime"),
        ] {
            XCTAssertNotEqual(DockerfileCheck.problems(planted(good, from, to)), [], fault)
        }
    }

    func testSlurmAndSystemdChecksFindFaults() throws {
        let script = try deployText("slurm/recur.sbatch")
        XCTAssertNotEqual(SlurmCheck.problems(planted(script, "srun --distribution", "mpirun --distribution")), [])
        XCTAssertNotEqual(SlurmCheck.problems(planted(script, "set -euo pipefail\n", "set -euo pipefail\n#SBATCH --mem=4G\n")), [])
        let environment = SystemdCheck.environmentFile(try deployText("systemd/recur.env"))
        let unit = try deployText("systemd/recur-ps@.service")
        for (fault, from, to) in [
            ("no install section", "[Install]", "[Installed]"),
            ("not launch", "recur launch", "recur ps"),
            ("not hardened", "ProtectSystem=strict", "ProtectSystem=full"),
            ("bad flag", "--threads", "--thread"),
            ("not INI", "[Service]\n", "[Service]\nthis is no key\n"),
        ] {
            XCTAssertNotEqual(SystemdCheck.problems(name: "recur-ps@.service", text: planted(unit, from, to),
                                                    environment: environment), [], fault)
        }
        XCTAssertEqual(flagProblems(invocations(of: "launch", in: "  \"$recur\" launch --bogus 1").first ?? [],
                                    allowed: launchFlags, origin: "t"), ["t: unknown flag --bogus"])
    }

    // MARK: - Helpers

    /// `text` with its one occurrence of `from` replaced (with `firstOnly`, the first of several).
    /// When `from` is not there exactly once the test fails (and the text comes back unchanged, so
    /// the fault's own assertion fails too).
    private func planted(_ text: String, _ from: String, _ to: String, firstOnly: Bool = false,
                         line: UInt = #line) -> String {
        let count = text.components(separatedBy: from).count - 1
        if firstOnly, count > 1, let range = text.range(of: from) { return text.replacingCharacters(in: range, with: to) }
        guard count == 1 else {
            XCTFail("planted fault: \(from) occurs \(count) times", line: line)
            return text
        }
        return text.replacingOccurrences(of: from, with: to)
    }

    /// Every file of deploy/k8s by name.
    private func kubernetesFiles() throws -> [String: String] {
        let dir = deployRoot.appendingPathComponent("k8s")
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasSuffix(".yaml") {
            files[name] = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
        }
        XCTAssertGreaterThanOrEqual(files.count, 6, "deploy/k8s is missing manifests")
        return files
    }

    /// Every text file under deploy/ (but local keys), by path relative to deploy/, then the deploy
    /// guide by its path from the repository root.
    private func allDeployTexts() throws -> [(String, String)] {
        let e = FileManager.default.enumerator(atPath: deployRoot.path)
        var out: [(String, String)] = []
        while let path = e?.nextObject() as? String {
            if path.hasPrefix("docker/keys") { continue }
            var isDir: ObjCBool = false
            let full = deployRoot.appendingPathComponent(path).path
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue,
                  let text = try? String(contentsOfFile: full, encoding: .utf8) else { continue }
            out.append((path, text))
        }
        XCTAssertGreaterThanOrEqual(out.count, 15, "deploy/ is missing files")
        out.append((deployGuide, try repositoryText(deployGuide)))
        return out
    }
}
