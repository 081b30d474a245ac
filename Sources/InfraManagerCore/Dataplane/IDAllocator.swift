/// Hands out small integer ids (action-profile members and groups, service indexes, ACL ids)
/// from a fixed range, reusing released ids first.
///
/// Why a free list and not a counter: the ids index fixed-size target resources (counter
/// arrays of 16 Ki cells, 16-bit action parameters), so a long-running manager that only
/// ever counted up would run out although few ids are live. A live id is never handed out
/// twice: `allocate` takes from the free list or the next never-used value, and `release`
/// ignores an id that is not live.
struct IDAllocator: Hashable, Sendable {
    let range: ClosedRange<UInt32>
    /// The lowest id never handed out (64-bit so the top of a full 32-bit range is reachable).
    private var next: UInt64
    private var free: [UInt32] = []
    private(set) var live: Set<UInt32> = []

    init(range: ClosedRange<UInt32>) {
        self.range = range
        self.next = UInt64(range.lowerBound)
    }

    var liveCount: Int { live.count }

    /// A new live id, or nil when every id of the range is live.
    mutating func allocate() -> UInt32? {
        if let reused = free.popLast() {
            live.insert(reused)
            return reused
        }
        guard next <= UInt64(range.upperBound) else { return nil }
        let id = UInt32(next)
        next += 1
        live.insert(id)
        return id
    }

    /// Marks `id` live, as a restored snapshot recorded it; false if it is already live or
    /// outside the range. Ids skipped over become free.
    mutating func claim(_ id: UInt32) -> Bool {
        guard range.contains(id), live.insert(id).inserted else { return false }
        if UInt64(id) >= next {
            free.append(contentsOf: (next..<UInt64(id)).map { UInt32($0) })
            next = UInt64(id) + 1
        } else if let index = free.firstIndex(of: id) {
            free.remove(at: index)
        }
        return true
    }

    /// Returns `id` to the free list; ignores ids that are not live.
    mutating func release(_ id: UInt32) {
        guard live.remove(id) != nil else { return }
        free.append(id)
    }
}
