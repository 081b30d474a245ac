import InfraNet

/// Decides what to do with one received frame: answer it, or say why it is ignored.
///
/// Pure: the socket loop hands in bytes and sends whatever `.reply` carries.
struct ARPResponder: Sendable {
    let ownMAC: MACAddress
    let gateways: Set<IPAddress>

    enum Decision: Equatable, Sendable {
        /// Send `frame` back; it answers a who-has for `gateway` from `asker`.
        case reply(ARPFrame, gateway: IPAddress, asker: IPAddress)
        /// Well-formed traffic this proxy does not answer.
        case ignored(String)
        /// A frame that is broken or contradicts itself.
        case malformed(String)
    }

    init(ownMAC: MACAddress, gateways: some Sequence<IPAddress>) {
        self.ownMAC = ownMAC
        self.gateways = Set(gateways)
    }

    func decide(_ bytes: UnsafeRawBufferPointer) -> Decision {
        let frame: ARPFrame
        switch ARPFrame.parse(bytes) {
        case .success(let parsed): frame = parsed
        case .failure(let rejection):
            return rejection.isMalformed ? .malformed(rejection.description) : .ignored(rejection.description)
        }
        guard frame.operation == .request else {
            return .ignored("ARP reply from \(frame.senderIP) (\(frame.senderMAC))")
        }
        guard gateways.contains(frame.targetIP) else {
            return .ignored("who-has \(frame.targetIP) is not a gateway address")
        }
        if frame.source == ownMAC || frame.senderMAC == ownMAC {
            return .ignored("own frame looped back")
        }
        guard !frame.senderMAC.isMulticast, frame.senderMAC != ARPFrame.zeroMAC,
              !frame.source.isMulticast, frame.source != ARPFrame.zeroMAC else {
            return .malformed("who-has \(frame.targetIP) from a multicast or zero MAC (ethernet source \(frame.source), ARP sender \(frame.senderMAC))")
        }
        if frame.senderIP == frame.targetIP {
            // Someone else announcing the gateway address: not a question, and answering an
            // announcement would start a fight over the address on the segment.
            return .ignored("gratuitous ARP for \(frame.targetIP) from \(frame.senderMAC)")
        }
        return .reply(
            ARPFrame.reply(to: frame, ownMAC: ownMAC), gateway: frame.targetIP, asker: frame.senderIP)
    }

    func decide(_ bytes: [UInt8]) -> Decision {
        bytes.withUnsafeBytes { decide($0) }
    }
}
