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

    public init() {}

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.items == rhs.items }
    public func hash(into hasher: inout Hasher) { hasher.combine(items) }

    mutating func clearTouched() { touched.removeAll(keepingCapacity: true) }

    public var count: Int { items.count }

    public subscript(key: Key) -> Value? { items[key] }

    mutating func upsert(_ value: Value, for key: Key) -> ObjectChanges {
        var changes = ObjectChanges()
        switch items.updateValue(value, forKey: key) {
        case nil: changes.created = 1
        case value?: changes.unchanged = 1
        case _?: changes.updated = 1
        }
        if changes.unchanged == 0 { touched.insert(key) }
        return changes
    }

    mutating func remove(_ key: Key) -> ObjectChanges {
        var changes = ObjectChanges()
        if items.removeValue(forKey: key) != nil {
            changes.deleted = 1
            touched.insert(key)
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
