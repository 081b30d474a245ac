import Yams

extension ConfigError {
    /// A YAML parse failure, with the position libyaml reported.
    init(yamlError: YamlError, source: String) {
        var message = "invalid YAML"
        var mark: Mark?
        switch yamlError {
        case .scanner(let context, let problem, let at, _),
             .parser(let context, let problem, let at, _),
             .composer(let context, let problem, let at, _):
            // libyaml's context ("while scanning a simple key") says what it was reading.
            message += ": \(problem)"
            if let context { message += " (\(context.text))" }
            mark = at
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map(ConfigValueText.quoted).joined(separator: ", ")
            message = "duplicate key \(keys) in one mapping"
            mark = context.mark
        case .reader(let problem, _, _, _):
            message += ": \(problem)"
        default:
            message += ": \(yamlError)"
        }
        self.init(code: .syntax, keyPath: "", message: message, source: source)
        yamlLine = mark?.line
        yamlColumn = mark?.column
    }

    /// Maps Swift's decoding errors onto the key path and the value as written.
    init(decodingError: DecodingError, root: Node) {
        switch decodingError {
        case .keyNotFound(let key, let context):
            self = .missingKey(keyPath: ConfigKeyPath.render(context.codingPath + [key]))
        case .typeMismatch(let expected, let context), .valueNotFound(let expected, let context):
            let path = ConfigKeyPath.render(context.codingPath)
            let node = root.descendant(at: ConfigKeyPath.components(of: path))
            let wanted = ConfigTypeNames.describe(expected)
            if let scalar = node?.scalar {
                self = .invalidValue(keyPath: path, value: scalar.string, reason: "expected \(wanted)")
            } else {
                let found = node.map(ConfigTypeNames.describe) ?? "nothing"
                self.init(code: .invalidValue, keyPath: path, message: "expected \(wanted), found \(found)")
            }
            code = .typeMismatch
        case .dataCorrupted(let context):
            let path = ConfigKeyPath.render(context.codingPath)
            let value = root.descendant(at: ConfigKeyPath.components(of: path))?.scalar?.string
            self = .invalidValue(keyPath: path, value: value, reason: context.debugDescription)
        @unknown default:
            self.init(code: .invalidValue, keyPath: "", message: "\(decodingError)")
        }
    }

    /// Stamps the source and, when the key path leads to a node, its line.
    mutating func attach(source: String, root: Node) {
        if self.source == nil { self.source = source }
        guard yamlLine == nil else { return }
        var components = ConfigKeyPath.components(of: keyPath)
        // A missing key has no node; point at the mapping that should have held it.
        while !components.isEmpty, root.descendant(at: components) == nil { components.removeLast() }
        if !components.isEmpty { yamlLine = root.descendant(at: components)?.mark?.line }
    }
}

extension Node {
    /// The node at `path`, following mapping keys and list indices.
    func descendant(at path: [ConfigKeyPath.Component]) -> Node? {
        var node: Node? = self
        for component in path {
            guard let current = node else { return nil }
            switch (component, current) {
            case (.key(let key), .mapping(let mapping)):
                node = mapping[key]
            case (.index(let index), .sequence(let sequence)):
                node = sequence.indices.contains(index) ? sequence[index] : nil
            case (.index(let index), .mapping(let mapping)):
                // A string-keyed dictionary whose key looks like a number renders as an index.
                node = mapping[String(index)]
            default:
                return nil
            }
        }
        return node
    }
}

/// Words for types in error messages: operators write YAML, not Swift.
enum ConfigTypeNames {
    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Bool.Type: return "true or false"
        case is String.Type, is Substring.Type, is Character.Type: return "a string"
        case is any BinaryInteger.Type: return "an integer"
        case is any BinaryFloatingPoint.Type: return "a number"
        case is Node.Mapping.Type: return "a mapping"
        case is Node.Sequence.Type: return "a list"
        case is Node.Scalar.Type: return "a single value"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array<") || name.hasPrefix("Set<") { return "a list" }
            if name.hasPrefix("Dictionary<") { return "a mapping" }
            return "a value of type \(name)"
        }
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar: "a single value"
        case .alias: "an alias"
        }
    }
}
