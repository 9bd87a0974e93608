internal import NIOCore

/// Strict UTF-8 decoding of MQTT strings, straight from the buffer's bytes.
enum MQTTUTF8 {
    enum Result {
        case string(String)
        case containsNull
        case illFormed
    }

    /// Decodes `length` readable bytes of `buffer` (the caller checked they exist).
    @inline(__always)
    static func decode(_ buffer: ByteBuffer, length: Int) -> Result {
        if length == 0 {
            return .string("")
        }
        return buffer.withUnsafeReadableBytes { raw in
            let bytes = UnsafeBufferPointer(rebasing: raw.assumingMemoryBound(to: UInt8.self)[0..<length])
            var nonASCII: UInt8 = 0
            for byte in bytes {
                // U+0000 is the single byte 0x00 in well-formed UTF-8 (overlong forms are ill-formed).
                if byte == 0 {
                    return .containsNull
                }
                nonASCII |= byte
            }
            if nonASCII & 0x80 == 0 {
                return .string(String(decoding: bytes, as: UTF8.self))
            }
            // Surrogates (U+D800–U+DFFF), overlong forms and truncated sequences are rejected here.
            guard let string = String(validating: bytes, as: UTF8.self) else {
                return .illFormed
            }
            return .string(string)
        }
    }

    /// Whether `string` may be sent as an MQTT string: no U+0000 and at most 65,535 bytes.
    static func isEncodable(_ string: String) -> Bool {
        string.utf8.count <= Int(UInt16.max) && !string.utf8.contains(0)
    }
}
