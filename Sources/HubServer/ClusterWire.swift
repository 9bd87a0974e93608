import NIOCore

/// Strings in the cluster's messages between nodes (ClusterSessions, ClusterRetained, ClusterMessageCodec): a 2-byte
/// big-endian length, then the UTF-8 bytes.
extension ByteBuffer {
    mutating func writeClusterString(_ string: String) {
        writeInteger(UInt16(truncatingIfNeeded: string.utf8.count))
        writeString(string)
    }

    /// Nil when the buffer ends first.
    mutating func readClusterString() -> String? {
        guard let length = readInteger(as: UInt16.self) else { return nil }
        return readString(length: Int(length))
    }
}
