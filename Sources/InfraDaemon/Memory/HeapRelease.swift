#if canImport(Glibc)
import Glibc
#endif

/// Gives the pages of freed heap memory back to the kernel.
///
/// Why: a daemon that now and then builds a large transient structure (the manager encodes
/// its whole state file, megabytes of small allocations, every few seconds under a stream of
/// changes) leaves glibc's heap full of free chunks between live ones. glibc only returns the
/// top of the heap on its own, so those pages stay resident and the RSS after the first few
/// saves sits well above what is live. `malloc_trim` also releases whole free pages inside
/// the heap (madvise). It costs a walk over the free lists, so call it after such a burst,
/// not per request.
///
/// Looked up at run time: Swift's Glibc module does not import `malloc.h`, and a binary
/// linked against another C library (the static musl builds) has no such call, which makes
/// this a no-op there.
public enum HeapRelease {
    public static func afterLargeTransientWork() {
        mallocTrim?(0)
    }

    private typealias MallocTrim = @convention(c) (Int) -> Int32

    private static let mallocTrim: MallocTrim? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: MallocTrim.self)
        #else
        return nil
        #endif
    }()
}
