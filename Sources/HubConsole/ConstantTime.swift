/// Comparison of secrets (CSRF tokens) in time that depends only on their lengths.
enum ConstantTime {
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<max(x.count, y.count) {
            difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
        }
        return difference == 0
    }
}

/// 256-bit random tokens (session ids, CSRF tokens) from the system's CSPRNG, as URL-safe base64.
enum RandomToken {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return base64URL(bytes)
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var text = ""
        var index = 0
        while index < bytes.count {
            let b0 = Int(bytes[index])
            let b1 = index + 1 < bytes.count ? Int(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? Int(bytes[index + 2]) : 0
            text.append(alphabet[b0 >> 2])
            text.append(alphabet[(b0 & 3) << 4 | b1 >> 4])
            if index + 1 < bytes.count { text.append(alphabet[(b1 & 15) << 2 | b2 >> 6]) }
            if index + 2 < bytes.count { text.append(alphabet[b2 & 63]) }
            index += 3
        }
        return text
    }
}
