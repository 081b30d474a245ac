import Foundation

/// The infra-p4-dpdk configuration every test that starts the daemon uses: one small EAL
/// (lcore 0, no hugepages, 1 GiB as k8s_dp's selectors need), a file prefix of the test's own
/// so parallel runs never share EAL state, af_packet ports on the named interfaces, and the
/// pipeline built against the DPDK internal headers that scripts/setup fetched.
public enum P4DPDKTestConfiguration {
    /// One port: the root-namespace interface DPDK opens and the PNA direction of its traffic.
    public struct Port: Sendable {
        public var interface: String
        public var direction: String

        public init(interface: String, direction: String) {
            self.interface = interface
            self.direction = direction
        }
    }

    /// The YAML text. `pipelineFromSpec` names k8s_dp's committed spec and context so the
    /// daemon loads the pipeline at start; without it the pipeline comes over P4Runtime.
    public static func yaml(listenPort: Int, filePrefix: String, ports: [Port], pipelineFromSpec: Bool) -> String {
        let root = BuiltProduct.packageRoot.path
        let portLines = ports.map { "  - {interface: \($0.interface), direction: \($0.direction)}" }.joined(separator: "\n")
        let specLines = pipelineFromSpec ? """

              spec: \(root)/k8s_dp/dpdk/k8s_dp.spec
              context: \(root)/k8s_dp/dpdk/k8s_dp.context.json
            """ : ""
        return """
            deviceID: 1
            listen: 127.0.0.1:\(listenPort)
            eal:
              arguments: [-l, "0", --no-huge, -m, "1024"]
              filePrefix: \(filePrefix)
            ports:
            \(portLines)
            idleSleepMicroseconds: 100
            pipeline:
              cacheDirectory: \(NSTemporaryDirectory())p4dpdk-test-cache
              internalHeaderDirectory: \(root)/.cache/dpdk/include\(specLines)
            metrics: {enabled: false}
            log: {level: info, target: stderr}
            """
    }
}
