import InfraChannel
import InfraDaemon
import P4DPDKTarget

/// infra-p4-dpdk's YAML configuration (`--config`).
///
/// ```yaml
/// deviceID: 1
/// listen: 127.0.0.1:9559
/// eal:
///   arguments: [-l, "0", --no-huge, -m, "1024"]   # --no-pci, --file-prefix, --vdev are added
///   filePrefix: infra-p4-dpdk                   # distinct per process on one host
/// ports:                                        # PNA port ids 0, 1, ... in this order
///   - {interface: pool0, direction: host}       # host: packets from pods (HOST_TO_NET)
///   - {interface: uplink0, direction: network}  # network: NET_TO_HOST
/// mtu: 1500
/// burstSize: 1
/// idleSleepMicroseconds: 200
/// pipeline:
///   cacheDirectory: /var/cache/infra-p4-dpdk
///   internalHeaderDirectory: /usr/share/infra-p4-dpdk/include
///   spec: /usr/share/infra-p4-dpdk/k8s_dp.spec            # optional, with context: used when
///   context: /usr/share/infra-p4-dpdk/k8s_dp.context.json # a pipeline push has no p4_device_config
/// tls: {caFile: /etc/infra/p4/ca.crt, certificateFile: /etc/infra/p4/stratum.crt, keyFile: /etc/infra/p4/stratum.key}
/// metrics: {enabled: true, listen: 127.0.0.1:9104}
/// log: {level: info, target: auto}
/// ```
struct DPDKDaemonConfig: Decodable, Sendable {
    struct EAL: Decodable, Sendable {
        var arguments: [String]
        var filePrefix: String

        enum CodingKeys: String, CodingKey, CaseIterable { case arguments, filePrefix }

        init() {
            arguments = ["-l", "0", "--no-huge", "-m", "1024"]
            filePrefix = "infra-p4-dpdk"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self.init()
            arguments = try c.decode([String].self, forKey: .arguments, default: arguments)
            for argument in arguments where Self.reserved.contains(where: { argument == $0 || argument.hasPrefix($0 + "=") }) {
                throw c.invalidValue(argument, forKey: .arguments, reason: "the target sets this itself (--no-pci always; ports come from `ports`)")
            }
            filePrefix = try c.decode(String.self, forKey: .filePrefix, default: filePrefix)
            if filePrefix.isEmpty || filePrefix.contains("/") {
                throw c.invalidValue(filePrefix, forKey: .filePrefix, reason: "must be a non-empty name without '/'")
            }
        }

        /// Arguments that would let DPDK touch devices the config does not name.
        static let reserved = ["--no-pci", "--vdev", "-a", "--allow", "-b", "--block", "--file-prefix"]
    }

    struct Port: Decodable, Sendable {
        enum Direction: String, Decodable, CaseIterable, Sendable { case host, network }
        var interface: String
        var direction: Direction

        enum CodingKeys: String, CodingKey, CaseIterable { case interface, direction }

        init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            interface = try c.decode(String.self, forKey: .interface)
            if interface.isEmpty || interface.utf8.count > 15 || interface.contains(where: { $0 == "/" || $0 == "," || $0.isWhitespace }) {
                throw c.invalidValue(interface, forKey: .interface, reason: "is not a usable interface name")
            }
            direction = try c.decode(Direction.self, forKey: .direction, default: .network)
        }

        var dpdkPort: DPDKPort { DPDKPort(interface: interface, direction: direction == .host ? .hostToNetwork : .networkToHost) }
    }

    struct Pipeline: Decodable, Sendable {
        var cacheDirectory = "/var/cache/infra-p4-dpdk"
        var internalHeaderDirectory = "/usr/share/infra-p4-dpdk/include"
        var spec: String?
        var context: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case cacheDirectory, internalHeaderDirectory, spec, context }

        init() {}

        init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            cacheDirectory = try c.decode(String.self, forKey: .cacheDirectory, default: cacheDirectory)
            internalHeaderDirectory = try c.decode(String.self, forKey: .internalHeaderDirectory, default: internalHeaderDirectory)
            spec = try c.decodeIfPresent(String.self, forKey: .spec)
            context = try c.decodeIfPresent(String.self, forKey: .context)
            if (spec == nil) != (context == nil) {
                throw c.invalidValue(spec ?? context ?? "", forKey: spec == nil ? .context : .spec, reason: "spec and context go together")
            }
        }
    }

    var deviceID: UInt64
    var listen: String
    var eal: EAL
    var ports: [Port]
    var mtu: UInt16
    var burstSize: Int
    var idleSleepMicroseconds: UInt32
    var pipeline: Pipeline
    var tls: TLSSettings?
    var metrics: MetricsSettings
    var log: LogSettings

    enum CodingKeys: String, CodingKey, CaseIterable {
        case deviceID, listen, eal, ports, mtu, burstSize, idleSleepMicroseconds, pipeline, tls, metrics, log
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        deviceID = try c.decode(UInt64.self, forKey: .deviceID, default: 1)
        listen = try c.decode(String.self, forKey: .listen, default: "127.0.0.1:9559")
        eal = try c.decode(EAL.self, forKey: .eal, default: EAL())
        ports = try c.decode([Port].self, forKey: .ports)
        if ports.isEmpty { throw c.invalidValue("[]", forKey: .ports, reason: "at least one port is needed") }
        var seen: Set<String> = []
        for port in ports where !seen.insert(port.interface).inserted {
            throw c.invalidValue(port.interface, forKey: .ports, reason: "interface listed twice")
        }
        mtu = try c.decode(UInt16.self, forKey: .mtu, default: 1500)
        if !(68...9000).contains(mtu) { throw c.invalidValue(String(mtu), forKey: .mtu, reason: "must be from 68 to 9000") }
        burstSize = try c.decode(Int.self, forKey: .burstSize, default: 1)
        if !(1...64).contains(burstSize) { throw c.invalidValue(String(burstSize), forKey: .burstSize, reason: "must be from 1 to 64") }
        idleSleepMicroseconds = try c.decode(UInt32.self, forKey: .idleSleepMicroseconds, default: 200)
        if idleSleepMicroseconds > 100_000 {
            throw c.invalidValue(String(idleSleepMicroseconds), forKey: .idleSleepMicroseconds, reason: "must be at most 100000")
        }
        pipeline = try c.decode(Pipeline.self, forKey: .pipeline, default: Pipeline())
        tls = try c.decodeIfPresent(TLSSettings.self, forKey: .tls)
        metrics = try c.decodeIfPresent(MetricsSettings.self, forKey: .metrics) ?? MetricsSettings.loopback(port: 9104)
        log = try c.decode(LogSettings.self, forKey: .log, default: LogSettings())
    }

    var dataplaneSettings: DPDKDataplane.Settings {
        DPDKDataplane.Settings(
            ealArguments: eal.arguments, filePrefix: eal.filePrefix, ports: ports.map(\.dpdkPort), mtu: mtu,
            burstSize: burstSize, idleSleepMicroseconds: idleSleepMicroseconds
        )
    }
}
