/// Validation of NATS subjects, reply subjects and queue group names.
///
/// A subject is a non-empty sequence of `.`-separated tokens. No token may be empty and no byte may be
/// whitespace or a control character. In subscriptions a token may be the single-token wildcard `*`, and the
/// last token may be the multi-token wildcard `>`. Wildcard characters inside a longer token (`foo*`) are
/// rejected everywhere, as are wildcards in subjects that are published to.
public enum NATSSubject {
    /// Whether wildcards are allowed: only in SUB.
    public enum Kind: Sendable {
        /// A subject that is published to, or a reply subject: no wildcards.
        case publish
        /// A subscription filter: `*` as any token, `>` as the last token.
        case subscribe
    }

    /// Throws ``NATSCoreError/Code/invalidSubject`` unless `subject` is valid for `kind`.
    public static func validate(_ subject: String, as kind: Kind) throws(NATSCoreError) {
        if subject.isEmpty {
            throw NATSCoreError(.invalidSubject, "subject is empty")
        }
        let tokens = subject.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for (index, token) in tokens.enumerated() {
            if token.isEmpty {
                throw NATSCoreError(.invalidSubject, "empty token in '\(subject)'")
            }
            if token.contains(where: isWhitespaceOrControl) {
                throw NATSCoreError(.invalidSubject, "whitespace or control byte in subject")
            }
            let hasWildcardByte = token.contains(UInt8(ascii: "*")) || token.contains(UInt8(ascii: ">"))
            guard hasWildcardByte else { continue }
            guard kind == .subscribe else {
                throw NATSCoreError(.invalidSubject, "wildcards are not allowed in '\(subject)'")
            }
            guard token.count == 1 else {
                throw NATSCoreError(.invalidSubject, "wildcard inside a token in '\(subject)'")
            }
            if token.first == UInt8(ascii: ">") && index != tokens.count - 1 {
                throw NATSCoreError(.invalidSubject, "'>' must be the last token in '\(subject)'")
            }
        }
    }

    /// Whether `subject` is valid for `kind`.
    public static func isValid(_ subject: String, as kind: Kind) -> Bool {
        do {
            try self.validate(subject, as: kind)
            return true
        } catch {
            return false
        }
    }

    /// Throws ``NATSCoreError/Code/invalidQueueGroup`` unless `queue` is a non-empty name without whitespace.
    public static func validateQueueGroup(_ queue: String) throws(NATSCoreError) {
        if queue.isEmpty || queue.utf8.contains(where: isWhitespaceOrControl) {
            throw NATSCoreError(.invalidQueueGroup, "queue group must be non-empty without whitespace")
        }
    }

    /// Whether a published `subject` matches the subscription `filter` (`*` matches one token, `>` one or more).
    /// Both are assumed valid.
    public static func matches(_ subject: String, filter: String) -> Bool {
        let subjectTokens = subject.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let filterTokens = filter.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        var index = 0
        for filterToken in filterTokens {
            if filterToken.elementsEqual(">".utf8) {
                return subjectTokens.count > index
            }
            guard index < subjectTokens.count else { return false }
            if !filterToken.elementsEqual("*".utf8) && !filterToken.elementsEqual(subjectTokens[index]) {
                return false
            }
            index += 1
        }
        return index == subjectTokens.count
    }

    static func isWhitespaceOrControl(_ byte: UInt8) -> Bool {
        byte <= 0x20 || byte == 0x7F
    }
}
