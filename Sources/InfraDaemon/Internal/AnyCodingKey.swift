/// A coding key that accepts any name, used to list every key a mapping really has; a
/// `CodingKeys` enum silently drops the ones it does not know, which is what hides typos.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}
