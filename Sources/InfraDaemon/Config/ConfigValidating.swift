/// A config type with checks that span several fields or need the whole value.
///
/// ``ConfigLoader`` calls `validate()` after decoding and stamps the file name on any
/// ``ConfigError`` it throws, so a check can throw
/// `ConfigError.invalidValue(keyPath: "tls.reloadIntervalSeconds", value: "-3", reason: "must be a positive number")`
/// and the operator sees the file, the key and, when the loader can find it, the line.
public protocol ConfigValidating {
    func validate() throws
}
