/// Comparisons whose running time does not depend on where two secrets differ.
///
/// Use these for every comparison of a MAC, a signature or a password, so that
/// an attacker cannot learn a correct prefix by timing the answer.
public enum ConstantTime {
    /// Returns whether `a` and `b` hold the same bytes.
    ///
    /// The length is not secret: collections of different lengths return `false`
    /// at once. For equal lengths every byte is examined, whatever the content.
    public static func equals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) {
            difference |= x ^ y
        }
        return difference == 0
    }

    /// Returns whether the UTF-8 bytes of `a` and `b` are equal (see the byte overload).
    public static func equals(_ a: String, _ b: String) -> Bool {
        equals(a.utf8, b.utf8)
    }
}
