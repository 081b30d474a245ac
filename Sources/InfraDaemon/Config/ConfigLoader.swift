import Foundation
import Yams

/// Loads YAML configuration into `Decodable` types, turning every failure into a
/// ``ConfigError`` that names the file, the key path and the bad value.
public enum ConfigLoader {
    /// Reads and decodes `path`. A missing or unreadable file is a ``ConfigError`` too, so a
    /// daemon's `main` has one error type to report.
    public static func load<T: Decodable>(_ type: T.Type, fromFile path: String) throws -> T {
        let text = try readText(atPath: path)
        return try load(type, fromYAML: text, source: path)
    }

    /// Decodes YAML `text`; `source` names it in errors (a path, or e.g. `"--config-yaml"`).
    ///
    /// An empty document (or one of only comments) decodes as an empty mapping, so a config type
    /// whose keys all have defaults loads from an empty file. When `T` is ``ConfigValidating``
    /// its `validate()` runs after decoding.
    public static func load<T: Decodable>(_ type: T.Type, fromYAML text: String, source: String) throws -> T {
        let parser: Parser
        let root: Node
        do {
            // The same resolver YAMLDecoder uses, so values decode exactly as with YAMLDecoder.
            parser = try Parser(yaml: text, resolver: Resolver.basic.appending(.merge), encoding: .utf8)
            root = try parser.singleRoot() ?? Node([(Node, Node)]())
        } catch let error as YamlError {
            throw ConfigError(yamlError: error, source: source)
        } catch {
            throw ConfigError(code: .syntax, keyPath: "", message: "invalid YAML: \(error)", source: source)
        }
        // Anchors are only weakly held by nodes; the parser keeps them alive while decoding.
        return try withExtendedLifetime(parser) {
            do {
                let value = try YAMLDecoder().decode(type, from: root)
                if let validating = value as? any ConfigValidating { try validating.validate() }
                return value
            } catch var error as ConfigError {
                error.attach(source: source, root: root)
                throw error
            } catch let error as DecodingError {
                var mapped = ConfigError(decodingError: error, root: root)
                mapped.attach(source: source, root: root)
                throw mapped
            } catch {
                // A config type threw its own error; keep its text rather than lose it.
                throw ConfigError(code: .invalidValue, keyPath: "", message: "\(error)", source: source)
            }
        }
    }

    private static func readText(atPath path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(code: .fileNotFound, keyPath: "", message: "file not found", source: path)
        }
        if isDirectory.boolValue {
            throw ConfigError(code: .unreadable, keyPath: "", message: "is a directory, not a file", source: path)
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.isReadableFile(atPath: path) ? "\(error)" : "permission denied"
            throw ConfigError(code: .unreadable, keyPath: "", message: "cannot read file: \(reason)", source: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(code: .unreadable, keyPath: "", message: "file is not valid UTF-8", source: path)
        }
        return text
    }
}
