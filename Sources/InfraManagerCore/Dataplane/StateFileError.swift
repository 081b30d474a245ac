/// The manager's state file cannot be read back: the message says what is wrong with it.
struct StateFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
