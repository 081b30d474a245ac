import Foundation
import TestSupport

/// The daemons' configuration files, as scripts/demo-node writes them, with this node's names,
/// ports and directories.
extension NodeHarness {
    var cniConfiguration: String {
        """
        {"cniVersion":"1.0.0","name":"\(tag)","type":"infra-cni","agentSocket":"\(directory)/cni.sock",
         "ipam":{"type":"host-local","dataDir":"\(directory)/ipam","ranges":[[{"subnet":"\(configuration.podSubnet)"}]]}}
        """
    }

    /// Pool interface i is P4 port i + 2, in both the manager's and the agent's map.
    private var poolPorts: String {
        "{" + poolInterfaces.enumerated().map { "\($1): \($0 + 2)" }.joined(separator: ", ") + "}"
    }

    func writeConfigurations() throws {
        let root = Self.repoRoot.path
        let p4dpdk = P4DPDKTestConfiguration.yaml(
            listenPort: p4Port, filePrefix: dpdkFilePrefix,
            ports: p4Interfaces.enumerated().map { .init(interface: $1, direction: $0 == 0 ? "network" : "host") },
            pipelineFromSpec: true
        )
        let manager = """
        nodeName: \(Self.nodeName)
        listen: 127.0.0.1:\(managerPort)
        heartbeatSeconds: 5
        tls:
          caFile: \(pkiDirectory)/manager-server/ca.crt
          certificateFile: \(pkiDirectory)/manager-server/tls.crt
          keyFile: \(pkiDirectory)/manager-server/tls.key
        authorization:
          rules:
            - {identity: "spiffe://infra.cluster.local/agent/\(Self.nodeName)", access: read-write}
            # Services and policies come from infractl: no Kubernetes watcher exists here.
            - {identity: "spiffe://infra.cluster.local/operator/admin", access: read-write}
        metrics: {enabled: false}
        log: {level: info, target: stderr}
        dataplane:
          target: 127.0.0.1:\(p4Port)
          tls:
            caFile: \(pkiDirectory)/p4rt-client/ca.crt
            certificateFile: \(pkiDirectory)/p4rt-client/tls.crt
            keyFile: \(pkiDirectory)/p4rt-client/tls.key
          p4info: \(root)/k8s_dp/dpdk/k8s_dp.p4info.txtpb
          stateDirectory: \(directory)/manager-state
          ports: \(poolPorts)
          hostPort: 0
          arpProxyPort: 1
          gatewayMAC: "\(Self.gatewayMAC)"
        """
        let agent = """
        nodeName: \(Self.nodeName)
        manager:
          address: 127.0.0.1:\(managerPort)
        tls:
          caFile: \(pkiDirectory)/agent-node-1/ca.crt
          certificateFile: \(pkiDirectory)/agent-node-1/tls.crt
          keyFile: \(pkiDirectory)/agent-node-1/tls.key
        hostInterface:
          name: \(tag)h
          macAddress: "\(Self.hostMAC)"
          addresses: [\(configuration.nodeAddress)/24]
        interfacePool:
          mode: veth
          interfaces: [\(poolInterfaces.joined(separator: ", "))]
          ports: \(poolPorts)
          stateFile: \(directory)/agent/interface-pool.json
        cni:
          listen: unix:\(directory)/cni.sock
          gatewayMAC: "\(Self.gatewayMAC)"
          podStateFile: \(directory)/agent/cni-pods.json
        metrics: {enabled: false}
        log: {level: info, target: stderr}
        """
        for (name, text) in [("p4-dpdk.yaml", p4dpdk), ("manager.yaml", manager), ("agent.yaml", agent)] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(name)"))
        }
    }
}
