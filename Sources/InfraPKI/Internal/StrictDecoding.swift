/// Helpers that make profile decoding reject keys it does not know.
///
/// A misspelt optional key ("lifetimeDay") would otherwise be ignored silently and the
/// default used, which for certificates means a wrong lifetime nobody notices.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

enum StrictDecoding {
    /// Renders a coding path the way a user reads YAML: `identities[2].dns`.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "<top level>" : text
    }

    /// Throws for the first key in the mapping at `decoder` that is not in `Keys`.
    static func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ decoder: any Decoder, allowed: Keys.Type) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        let known = Set(Keys.allCases.map(\.stringValue))
        for key in container.allKeys where !known.contains(key.stringValue) {
            let allowedList = Keys.allCases.map(\.stringValue).joined(separator: ", ")
            throw PKIError(
                .invalidProfile,
                "\(path(decoder.codingPath + [key])): unknown key \"\(key.stringValue)\" (allowed: \(allowedList))"
            )
        }
    }

    /// Turns a DecodingError into a one-line PKIError naming the path.
    static func describe(_ error: DecodingError) -> PKIError {
        switch error {
        case .keyNotFound(let key, let context):
            return PKIError(.invalidProfile, "\(path(context.codingPath + [key])): required key is missing")
        case .typeMismatch(let type, let context):
            return PKIError(.invalidProfile, "\(path(context.codingPath)): expected \(typeName(type))")
        case .valueNotFound(let type, let context):
            return PKIError(.invalidProfile, "\(path(context.codingPath)): expected \(typeName(type)), found null")
        case .dataCorrupted(let context):
            // Yams wraps errors thrown by our own init(from:) this way; they already say it all.
            if let own = context.underlyingError as? PKIError { return own }
            let detail = context.underlyingError.map { ": \($0)" } ?? ""
            return PKIError(.invalidProfile, "\(path(context.codingPath)): \(context.debugDescription)\(detail)")
        @unknown default:
            return PKIError(.invalidProfile, "profile: \(error)")
        }
    }

    /// Yams reports its node types (Scalar, Mapping, Sequence) rather than the Swift type
    /// being decoded; both are translated into YAML words.
    private static func typeName(_ type: Any.Type) -> String {
        let name = String(describing: type)
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            if name.contains("Scalar") { return "a single value, not a list or mapping" }
            if name.contains("Mapping") || name.contains("Dictionary") { return "a mapping" }
            if name.contains("Sequence") || name.hasPrefix("Array") { return "a list" }
            return "a \(name)"
        }
    }
}

extension KeyedDecodingContainer {
    /// Decodes a value the profile spells as text (algorithm, kind) and reports the path on failure.
    func decodeEnum<T: RawRepresentable & CaseIterable>(_ type: T.Type, forKey key: Key) throws -> T? where T.RawValue == String {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let value = T(rawValue: text) else {
            let accepted = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw PKIError(
                .invalidProfile,
                "\(StrictDecoding.path(codingPath + [key])): unknown value \"\(text)\" (accepted: \(accepted))"
            )
        }
        return value
    }
}
