import CDPDK
import Foundation
import Logging
import P4RuntimeServer
import Synchronization

/// The DPDK side of the target: EAL, the af_packet ports and the running SWX pipeline with
/// its dedicated thread. One per process (EAL can be initialized once).
///
/// Control calls (`rte_swx_ctl`) are made under one lock, so a pipeline swap never races a
/// table update; the pipeline thread takes no lock at all, it only runs
/// `rte_swx_pipeline_run`, which rte_swx_ctl's commit is designed to run beside.
public final class DPDKDataplane: Sendable {
    public struct Settings: Sendable {
        /// EAL arguments besides the ones the target always adds (`--no-pci`,
        /// `--file-prefix`, one `--vdev` per port), e.g. `-l 0 --no-huge -m 512`.
        public var ealArguments: [String]
        /// Distinct per process on one host (EAL's runtime files).
        public var filePrefix: String
        public var ports: [DPDKPort]
        public var mtu: UInt16
        /// Packets a port queues before sending a burst; 1 keeps latency low.
        public var burstSize: Int
        /// Longest pause between polls of an idle pipeline, 0 for a busy poll.
        public var idleSleepMicroseconds: UInt32

        public init(
            ealArguments: [String] = ["-l", "0", "--no-huge", "-m", "1024"], filePrefix: String = "infra-p4-dpdk-\(getpid())",
            ports: [DPDKPort], mtu: UInt16 = 1500, burstSize: Int = 1, idleSleepMicroseconds: UInt32 = 200
        ) {
            self.ealArguments = ealArguments
            self.filePrefix = filePrefix
            self.ports = ports
            self.mtu = mtu
            self.burstSize = burstSize
            self.idleSleepMicroseconds = idleSleepMicroseconds
        }

        /// argv for rte_eal_init.
        public var ealArgv: [String] {
            ["infra-p4-dpdk"] + ealArguments + ["--no-pci", "--file-prefix=\(filePrefix)"]
                + ports.enumerated().map { "--vdev=\(DPDKPort.deviceName($0.offset)),iface=\($0.element.interface)" }
        }

        /// DPDK's I/O spec: port i reads and writes the vdev of configured port i. The SWX
        /// pipeline needs a power-of-two number of input ports; empty rings make up the rest
        /// (they never deliver a packet, and no output port is added for them).
        var ioSpec: String {
            var lines = ports.indices.map { index in
                let device = DPDKPort.deviceName(index)
                return "port in \(index) ethdev \(device) rxq 0 bsz \(burstSize)\nport out \(index) ethdev \(device) txq 0 bsz \(burstSize)\n"
            }
            for index in ports.count..<Self.paddedInputCount(ports.count) {
                lines.append("port in \(index) ring \(Self.paddingRing(index)) bsz 1\n")
            }
            return lines.joined()
        }

        static func paddedInputCount(_ count: Int) -> Int {
            var padded = 1
            while padded < count { padded *= 2 }
            return padded
        }

        static func paddingRing(_ index: Int) -> String { "infra_pad\(index)" }
    }

    struct State: ~Copyable {
        var current: PipelineHandle?
        var generation = 0
    }

    public let settings: Settings
    let logger: Logger
    let state = Mutex(State())
    private static let ealStarted = Mutex(false)

    /// Initializes EAL with `settings.ealArgv` and starts every port.
    public init(settings: Settings, logger: Logger) throws {
        guard !settings.ports.isEmpty else {
            throw P4ServerError(.invalidArgument, "ports: at least one port is needed")
        }
        self.settings = settings
        self.logger = logger
        try Self.ealStarted.withLock { started in
            guard !started else {
                throw P4ServerError(.failedPrecondition, "EAL is already initialized in this process; one DPDKDataplane per process")
            }
            // rte_eal_init reorders argv and overwrites one slot with argv[0], so the strings
            // are freed from a copy of the original pointers.
            let strings = settings.ealArgv.map { strdup($0) }
            defer { strings.forEach { free($0) } }
            var argv = strings
            try check { cdpdk_eal_init(Int32(argv.count), &argv, $0, $1) }
            started = true
        }
        for index in settings.ports.indices {
            try check { cdpdk_port_start(DPDKPort.deviceName(index), settings.mtu, $0, $1) }
        }
        for index in settings.ports.count..<Settings.paddedInputCount(settings.ports.count) {
            try check { cdpdk_padding_ring_create(Settings.paddingRing(index), $0, $1) }
        }
        logger.info("DPDK ready: \(settings.ports.count) af_packet ports (\(settings.ports.map(\.interface).joined(separator: ", ")))")
    }

    /// Builds a pipeline from `library`, prepares it (`prepare` runs before it forwards a
    /// packet: registers, learner timeouts), then swaps it for the running one.
    func install(library: String, prepare: (PipelineHandle) throws -> Void) throws {
        try state.withLock { state in
            state.generation += 1
            let name = "infra_p4_\(state.generation)"
            let ioSpec = NSTemporaryDirectory() + "/\(settings.filePrefix)-\(name).io"
            do {
                try Data(settings.ioSpec.utf8).write(to: URL(fileURLWithPath: ioSpec))
            } catch {
                throw P4ServerError(.internalError, "cannot write the I/O spec \(ioSpec): \(error)")
            }
            defer { try? FileManager.default.removeItem(atPath: ioSpec) }
            var message = [CChar](repeating: 0, count: 512)
            guard let pointer = cdpdk_pipeline_build(name, library, ioSpec, &message, message.count) else {
                throw P4ServerError(.invalidArgument, "the pipeline does not build: \(String(cString: message))")
            }
            let next = PipelineHandle(pointer: pointer)
            do {
                try prepare(next)
            } catch {
                cdpdk_pipeline_free(pointer)
                throw error
            }
            if let old = state.current {
                cdpdk_pipeline_stop(old.pointer)
                cdpdk_pipeline_free(old.pointer)
                state.current = nil
            }
            try check { cdpdk_pipeline_start(pointer, settings.idleSleepMicroseconds, $0, $1) }
            state.current = next
            logger.info("pipeline \(name) running on its own thread")
        }
    }

    /// Runs `body` with the running pipeline under the control lock.
    func withPipeline<R>(_ body: (PipelineHandle) throws -> R) throws -> R {
        try state.withLock { state in
            guard let current = state.current else {
                throw P4ServerError(.failedPrecondition, "no pipeline is running; send SetForwardingPipelineConfig first")
            }
            return try body(current)
        }
    }

    /// Packets and bytes in and out of each port (for metrics).
    public func portStatistics() -> [(packetsIn: UInt64, bytesIn: UInt64, packetsOut: UInt64, bytesOut: UInt64)]? {
        try? withPipeline { pipeline in
            settings.ports.indices.map { index in
                var packetsIn: UInt64 = 0, bytesIn: UInt64 = 0, packetsOut: UInt64 = 0, bytesOut: UInt64 = 0
                _ = cdpdk_port_in_stats(pipeline.pointer, UInt32(index), &packetsIn, &bytesIn)
                _ = cdpdk_port_out_stats(pipeline.pointer, UInt32(index), &packetsOut, &bytesOut)
                return (packetsIn, bytesIn, packetsOut, bytesOut)
            }
        }
    }

    /// Stops the pipeline thread and frees the pipeline (at shutdown).
    public func stop() {
        state.withLock { state in
            if let current = state.current {
                cdpdk_pipeline_free(current.pointer)
                state.current = nil
                logger.info("pipeline stopped")
            }
        }
    }
}

/// The C pipeline object; only touched under `DPDKDataplane.state`'s lock (or by its own
/// thread inside C).
struct PipelineHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// Calls a CDPDK function that reports errors into a buffer; a failure becomes a
/// `P4ServerError` with DPDK's message (RESOURCE_EXHAUSTED for ENOSPC/ENOMEM).
func check(file: String = #fileID, line: Int = #line, _ call: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws {
    var message = [CChar](repeating: 0, count: 512)
    let status = message.withUnsafeMutableBufferPointer { call($0.baseAddress!, $0.count) }
    guard status != 0 else { return }
    let text = String(cString: message)
    let code: P4ServerError.Code = (status == -ENOSPC || status == -ENOMEM) ? .resourceExhausted : .internalError
    throw P4ServerError(code, "DPDK: \(text)", file: file, line: line)
}
