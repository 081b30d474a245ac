/// One pipeline port: an af_packet vdev on a named interface. Its index in the configured
/// list is its PNA port id (`PortId_t`) in both directions.
public struct DPDKPort: Sendable, Equatable {
    /// PNA's direction value for packets arriving on this port.
    public enum Direction: UInt64, Sendable {
        case networkToHost = 0
        case hostToNetwork = 1
    }

    public var interface: String
    public var direction: Direction

    public init(interface: String, direction: Direction = .networkToHost) {
        self.interface = interface
        self.direction = direction
    }

    /// The DPDK device name of the vdev for port `index`.
    static func deviceName(_ index: Int) -> String { "net_af_packet\(index)" }
}
