/// Finds one kind of P4Info object by fully qualified name, by alias, or by id.
///
/// p4c names objects by their control path ("ingress.ipv4_lpm") and gives each the shortest
/// unique suffix as alias ("ipv4_lpm"); code written against a program uses either, so both
/// resolve. A full name wins over an alias that happens to spell the same text.
struct NameIndex<Element: Sendable>: Sendable {
    let kind: String
    private(set) var elements: [Element] = []
    private var byName: [String: Int] = [:]
    private var byAlias: [String: Int] = [:]
    private var byID: [UInt32: Int] = [:]

    init(kind: String) { self.kind = kind }

    mutating func add(_ element: Element, id: UInt32, name: String, alias: String) throws {
        guard id != 0 else {
            throw P4InfoError(.invalidP4Info, "\(kind) \"\(name)\" has id 0, which P4Runtime reserves as invalid")
        }
        guard byID[id] == nil else {
            throw P4InfoError(.invalidP4Info, "\(kind) \"\(name)\" reuses id 0x\(String(id, radix: 16))")
        }
        guard byName[name] == nil else {
            throw P4InfoError(.invalidP4Info, "two \(kind)s are named \"\(name)\"")
        }
        let index = elements.count
        elements.append(element)
        byID[id] = index
        byName[name] = index
        if !alias.isEmpty, alias != name { byAlias[alias] = index }
    }

    func named(_ name: String) throws -> Element {
        if let index = byName[name] ?? byAlias[name] { return elements[index] }
        let known = byName.keys.sorted()
        let shown = known.prefix(12).map { "\"\($0)\"" }.joined(separator: ", ")
        let more = known.count > 12 ? " and \(known.count - 12) more" : ""
        throw P4InfoError(.unknownName, "no \(kind) named \"\(name)\" in the P4Info; known: \(known.isEmpty ? "(none)" : shown + more)")
    }

    func withID(_ id: UInt32) -> Element? { byID[id].map { elements[$0] } }
}
