#if canImport(Glibc)
import Glibc
#endif
import Foundation
import InfraNet

/// One interface as seen inside a network namespace: its MAC and addresses. Read for CHECK
/// by entering the namespace with setns(2) on a thread of its own (a namespace switch
/// affects only the calling thread), then going back before the thread ends.
struct NetnsInterface: Sendable {
    var mac: MACAddress?
    var addresses: Set<CIDR>

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func read(netns: String, ifname: String) throws -> NetnsInterface {
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.result = Result { try readInCurrentThread(netns: netns, ifname: ifname) }
            done.signal()
        }
        thread.start()
        done.wait()
        return try box.result!.get()
    }

    private final class ResultBox: @unchecked Sendable {
        var result: Result<NetnsInterface, any Error>?
    }

    private static func readInCurrentThread(netns: String, ifname: String) throws -> NetnsInterface {
        let target = open(netns, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw Failure(description: "cannot open netns \(netns): \(String(cString: strerror(errno)))") }
        defer { close(target) }
        let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard original >= 0 else { throw Failure(description: "cannot open this thread's netns: \(String(cString: strerror(errno)))") }
        defer { close(original) }
        guard Self.setNetns(target) == 0 else {
            throw Failure(description: "setns into \(netns): \(String(cString: strerror(errno)))")
        }
        defer {
            // Going back must work; a thread left in the pod's namespace would be a hazard.
            if Self.setNetns(original) != 0 { fatalError("cannot return to the original network namespace") }
        }
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { throw Failure(description: "getifaddrs: \(String(cString: strerror(errno)))") }
        defer { freeifaddrs(list) }
        var found = false
        var result = NetnsInterface(mac: nil, addresses: [])
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard String(cString: entry.pointee.ifa_name) == ifname, let addr = entry.pointee.ifa_addr else { continue }
            found = true
            switch Int32(addr.pointee.sa_family) {
            case AF_PACKET:
                // sockaddr_ll (not imported by Glibc's module): halen at byte 11, addr at 12.
                let raw = UnsafeRawPointer(addr)
                let length = min(Int(raw.load(fromByteOffset: 11, as: UInt8.self)), 8)
                result.mac = MACAddress(bytes: (0..<length).map { raw.load(fromByteOffset: 12 + $0, as: UInt8.self) })
            case AF_INET:
                let ip = addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) } }
                let mask = entry.pointee.ifa_netmask.map { m in m.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) } } }
                if let address = IPAddress(bytes: ip), let cidr = CIDR(address: address, prefixLength: prefix(mask) ?? 32) { result.addresses.insert(cidr) }
            case AF_INET6:
                let ip = addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) } }
                let mask = entry.pointee.ifa_netmask.map { m in m.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) } } }
                if let address = IPAddress(bytes: ip), let cidr = CIDR(address: address, prefixLength: prefix(mask) ?? 128) { result.addresses.insert(cidr) }
            default:
                break
            }
        }
        guard found else { throw Failure(description: "no interface \(ifname) in \(netns)") }
        return result
    }

    /// setns(2) with CLONE_NEWNET. Glibc's Swift module does not export `setns` (it needs
    /// _GNU_SOURCE), so it is looked up in the process's libc.
    private static func setNetns(_ fd: Int32) -> Int32 {
        typealias SetNS = @convention(c) (Int32, Int32) -> Int32
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "setns") else {
            errno = ENOSYS
            return -1
        }
        return unsafeBitCast(symbol, to: SetNS.self)(fd, 0x4000_0000)  // CLONE_NEWNET
    }

    private static func prefix(_ mask: [UInt8]?) -> Int? {
        mask.map { $0.reduce(0) { $0 + $1.nonzeroBitCount } }
    }
}
