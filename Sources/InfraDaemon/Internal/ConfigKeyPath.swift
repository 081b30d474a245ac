/// Renders and splits the key paths that ``ConfigError`` shows (`authorization.rules[1].role`).
///
/// The path is a plain string in the public API so that `validate()` code can build one by hand;
/// this type is the one place that knows its grammar.
enum ConfigKeyPath {
    enum Component: Equatable, Sendable {
        case key(String)
        case index(Int)
    }

    /// Renders a Codable path. Keys with an integer value are list positions: YAML and JSON
    /// decoders give unkeyed-container keys an `intValue`, while config `CodingKeys` are strings.
    static func render(_ codingPath: [any CodingKey]) -> String {
        render(codingPath.map { key in key.intValue.map(Component.index) ?? .key(key.stringValue) })
    }

    static func render(_ components: [Component]) -> String {
        var text = ""
        for component in components {
            switch component {
            case .index(let index):
                text += "[\(index)]"
            case .key(let key):
                text += text.isEmpty ? key : ".\(key)"
            }
        }
        return text
    }

    /// Splits a rendered path back into components, so the loader can find the YAML line of an
    /// error raised by a `validate()` function that only knew the string.
    static func components(of path: String) -> [Component] {
        var components: [Component] = []
        for segment in path.split(separator: ".", omittingEmptySubsequences: true) {
            var rest = Substring(segment)
            if let open = rest.firstIndex(of: "[") {
                if open > rest.startIndex { components.append(.key(String(rest[..<open]))) }
                rest = rest[open...]
                while rest.first == "[", let close = rest.firstIndex(of: "]") {
                    let digits = rest[rest.index(after: rest.startIndex)..<close]
                    guard let index = Int(digits) else { return components }
                    components.append(.index(index))
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                components.append(.key(String(rest)))
            }
        }
        return components
    }

    static func parent(of path: String) -> String {
        render(Array(components(of: path).dropLast()))
    }

    static func lastComponent(of path: String) -> String {
        switch components(of: path).last {
        case .key(let key): key
        case .index(let index): "[\(index)]"
        case nil: path
        }
    }

    static func appending(_ key: String, to path: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }
}

/// How config values appear inside error messages.
enum ConfigValueText {
    /// Long values are cut: an operator needs to recognise the value, not read a certificate
    /// that was pasted under the wrong key.
    static let maximumLength = 80

    static func quoted(_ value: String) -> String {
        var shown = value
        if shown.count > maximumLength { shown = String(shown.prefix(maximumLength)) + "…" }
        var escaped = ""
        for scalar in shown.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    escaped += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return "\"\(escaped)\""
    }
}
