/// Finds the known key an unknown one was probably meant to be (`listenAdress` →
/// `listenAddress`), so the error names the fix and not only the fault.
enum KeySuggestion {
    static func closest(to unknown: String, among known: [String]) -> String? {
        let target = Array(unknown.lowercased())
        // Allow about one edit per four characters: enough for typos and case slips, too
        // little to suggest an unrelated key.
        let limit = max(1, target.count / 4)
        var best: (key: String, distance: Int)?
        for key in known {
            let distance = editDistance(target, Array(key.lowercased()))
            guard distance <= limit else { continue }
            if best == nil || distance < best!.distance { best = (key, distance) }
        }
        return best?.key
    }

    /// Levenshtein distance with two rolling rows.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
