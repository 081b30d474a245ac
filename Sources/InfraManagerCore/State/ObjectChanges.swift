/// Counts of what one request did to one kind of object.
public struct ObjectChanges: Hashable, Sendable {
    public var created = 0
    public var updated = 0
    public var deleted = 0
    public var unchanged = 0

    public init() {}

    public var changedAnything: Bool { created + updated + deleted > 0 }

    static func + (lhs: ObjectChanges, rhs: ObjectChanges) -> ObjectChanges {
        var sum = lhs
        sum.created += rhs.created
        sum.updated += rhs.updated
        sum.deleted += rhs.deleted
        sum.unchanged += rhs.unchanged
        return sum
    }
}

/// A keyed set of desired objects with idempotent upsert, remove and replace-all.
public struct KeyedObjects<Key: Hashable & Sendable, Value: Hashable & Sendable>: Hashable, Sendable {
    public private(set) var items: [Key: Value] = [:]
    /// Keys created, updated or deleted since the last `clearTouched`: what the dataplane
    /// must re-translate. Not part of equality: two sets with the same items are equal.
    private(set) var touched = Set<Key>()
    /// What each touched key held before its first change since `clearTouched` (nil inside:
    /// absent), so `revert` can undo a request applied in place. Not part of equality.
    private var originals: [Key: Value?] = [:]

    public init() {}

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.items == rhs.items }
    public func hash(into hasher: inout Hasher) { hasher.combine(items) }

    /// Accepts the changes since the last call: they become the state `revert` returns to.
    mutating func clearTouched() {
        touched.removeAll(keepingCapacity: true)
        originals.removeAll(keepingCapacity: true)
    }

    /// Undoes every change since the last `clearTouched`.
    mutating func revert() {
        for (key, original) in originals { items[key] = original }
        clearTouched()
    }

    private mutating func remember(_ key: Key, _ original: Value?) {
        if originals.index(forKey: key) == nil { originals[key] = .some(original) }
    }

    public var count: Int { items.count }

    /// What changed since the last `clearTouched`: the values now held under touched keys, and
    /// the values that touched keys held before they were removed (a key created and removed
    /// again in between appears in neither).
    var pendingChanges: (upserted: [Value], removed: [Value]) {
        var upserted: [Value] = []
        var removed: [Value] = []
        for key in touched {
            if let value = items[key] {
                upserted.append(value)
            } else if case let original?? = originals[key] {
                removed.append(original)
            }
        }
        return (upserted, removed)
    }

    public subscript(key: Key) -> Value? { items[key] }

    mutating func upsert(_ value: Value, for key: Key) -> ObjectChanges {
        var changes = ObjectChanges()
        let original = items.updateValue(value, forKey: key)
        switch original {
        case nil: changes.created = 1
        case value?: changes.unchanged = 1
        case _?: changes.updated = 1
        }
        if changes.unchanged == 0 {
            touched.insert(key)
            remember(key, original)
        }
        return changes
    }

    mutating func remove(_ key: Key) -> ObjectChanges {
        var changes = ObjectChanges()
        if let original = items.removeValue(forKey: key) {
            changes.deleted = 1
            touched.insert(key)
            remember(key, original)
        } else {
            changes.unchanged = 1
        }
        return changes
    }

    /// Makes the set equal to `desired`, counting what that took.
    mutating func replaceAll(with desired: [Key: Value]) -> ObjectChanges {
        var changes = ObjectChanges()
        for key in items.keys where desired[key] == nil {
            changes = changes + remove(key)
        }
        for (key, value) in desired {
            changes = changes + upsert(value, for: key)
        }
        return changes
    }
}
