import Glibc

/// setns(2) for network namespaces. Swift's Glibc module does not import `setns` (it is
/// declared only under _GNU_SOURCE), so the libc symbol is looked up once with dlsym; glibc
/// has exported it since 2.14. Adding a C shim target would mean touching Package.swift.
enum SetNamespace {
    static let cloneNewNet: Int32 = 0x4000_0000   // CLONE_NEWNET from linux/sched.h

    private typealias Function = @convention(c) (Int32, Int32) -> Int32

    private static let function: Function? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "setns") else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }()

    /// Enters the network namespace `fd` refers to; returns 0 or sets errno and returns -1.
    static func enterNetwork(_ fd: Int32) -> Int32 {
        guard let function else {
            errno = ENOSYS
            return -1
        }
        return function(fd, cloneNewNet)
    }
}
