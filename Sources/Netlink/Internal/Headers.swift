// The fixed family headers that follow nlmsghdr (struct ifinfomsg, ifaddrmsg, rtmsg, ndmsg).

/// struct ifinfomsg (16 bytes).
struct InterfaceHeader {
    static let size = 16
    var family: UInt8 = AddressFamily.unspec
    var type: UInt16 = 0
    var index: Int32 = 0
    var flags: UInt32 = 0
    var change: UInt32 = 0

    func encode(into builder: inout MessageBuilder) {
        builder.append(family)
        builder.append(UInt8(0))
        builder.append(type)
        builder.append(index)
        builder.append(flags)
        builder.append(change)
    }

    init(index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) {
        self.index = index
        self.flags = flags
        self.change = change
    }

    init?(_ payload: ArraySlice<UInt8>) {
        let reader = ByteReader(payload)
        guard let family = reader.integer(UInt8.self, at: 0), let type = reader.integer(UInt16.self, at: 2),
              let index = reader.integer(Int32.self, at: 4), let flags = reader.integer(UInt32.self, at: 8),
              let change = reader.integer(UInt32.self, at: 12) else { return nil }
        self.family = family
        self.type = type
        self.index = index
        self.flags = flags
        self.change = change
    }
}

/// struct ifaddrmsg (8 bytes).
struct AddressHeader {
    static let size = 8
    var family: UInt8
    var prefixLength: UInt8
    var flags: UInt8 = 0
    var scope: UInt8 = 0
    var index: UInt32

    func encode(into builder: inout MessageBuilder) {
        builder.append(family)
        builder.append(prefixLength)
        builder.append(flags)
        builder.append(scope)
        builder.append(index)
    }

    init(family: UInt8, prefixLength: UInt8, index: UInt32) {
        self.family = family
        self.prefixLength = prefixLength
        self.index = index
    }

    init?(_ payload: ArraySlice<UInt8>) {
        let reader = ByteReader(payload)
        guard let family = reader.integer(UInt8.self, at: 0), let prefixLength = reader.integer(UInt8.self, at: 1),
              let flags = reader.integer(UInt8.self, at: 2), let scope = reader.integer(UInt8.self, at: 3),
              let index = reader.integer(UInt32.self, at: 4) else { return nil }
        self.family = family
        self.prefixLength = prefixLength
        self.flags = flags
        self.scope = scope
        self.index = index
    }
}

/// struct rtmsg (12 bytes).
struct RouteHeader {
    static let size = 12
    var family: UInt8
    var destinationLength: UInt8 = 0
    var sourceLength: UInt8 = 0
    var tos: UInt8 = 0
    var table: UInt8 = 0
    var protocolID: UInt8 = 0
    var scope: UInt8 = 0
    var type: UInt8 = 0
    var flags: UInt32 = 0

    func encode(into builder: inout MessageBuilder) {
        builder.append(family)
        builder.append(destinationLength)
        builder.append(sourceLength)
        builder.append(tos)
        builder.append(table)
        builder.append(protocolID)
        builder.append(scope)
        builder.append(type)
        builder.append(flags)
    }

    init(family: UInt8) { self.family = family }

    init?(_ payload: ArraySlice<UInt8>) {
        let reader = ByteReader(payload)
        guard let family = reader.integer(UInt8.self, at: 0), let flags = reader.integer(UInt32.self, at: 8) else { return nil }
        self.family = family
        destinationLength = reader.integer(UInt8.self, at: 1)!
        sourceLength = reader.integer(UInt8.self, at: 2)!
        tos = reader.integer(UInt8.self, at: 3)!
        table = reader.integer(UInt8.self, at: 4)!
        protocolID = reader.integer(UInt8.self, at: 5)!
        scope = reader.integer(UInt8.self, at: 6)!
        type = reader.integer(UInt8.self, at: 7)!
        self.flags = flags
    }
}

/// struct ndmsg (12 bytes).
struct NeighbourHeader {
    static let size = 12
    var family: UInt8
    var index: Int32
    var state: UInt16 = 0
    var flags: UInt8 = 0
    var type: UInt8 = 0

    func encode(into builder: inout MessageBuilder) {
        builder.append(family)
        builder.append(UInt8(0))
        builder.append(UInt16(0))
        builder.append(index)
        builder.append(state)
        builder.append(flags)
        builder.append(type)
    }

    init(family: UInt8, index: Int32) {
        self.family = family
        self.index = index
    }

    init?(_ payload: ArraySlice<UInt8>) {
        let reader = ByteReader(payload)
        guard let family = reader.integer(UInt8.self, at: 0), let index = reader.integer(Int32.self, at: 4),
              let state = reader.integer(UInt16.self, at: 8), let flags = reader.integer(UInt8.self, at: 10),
              let type = reader.integer(UInt8.self, at: 11) else { return nil }
        self.family = family
        self.index = index
        self.state = state
        self.flags = flags
        self.type = type
    }
}
