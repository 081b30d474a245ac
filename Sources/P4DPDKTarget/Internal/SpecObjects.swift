/// The names a spec declares, read from its top-level statements. The target checks every name
/// the context maps to against them at VERIFY, so a spec and context from different compiles
/// fail there, naming the object, rather than at the first Write.
struct SpecObjects: Sendable {
    var tables: Set<String> = []
    var learners: Set<String> = []
    var selectors: Set<String> = []
    var actions: Set<String> = []
    var regarrays: Set<String> = []

    init(_ spec: String) {
        for line in spec.split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: \.isWhitespace)
            guard words.count >= 2 else { continue }
            let name = String(words[1])
            switch words[0] {
            case "table": tables.insert(name)
            case "learner": learners.insert(name)
            case "selector": selectors.insert(name)
            case "action": actions.insert(name)
            case "regarray": regarrays.insert(name)
            default: break
            }
        }
    }
}
