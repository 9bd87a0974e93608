import Crypto

/// Incremental MD5 (firmware checks: `Md5sum` of UploadFirmware, `md5sum` of `update_firmware`).
public struct MD5Digest {
    private var hasher = Insecure.MD5()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        hasher.update(data: Array(bytes))
    }

    /// 32 lower-case hex characters.
    public func hex() -> String {
        Hex.encode(hasher.finalize())
    }

    /// MD5 of `bytes` as 32 lower-case hex characters.
    public static func hex(of bytes: some Sequence<UInt8>) -> String {
        var digest = MD5Digest()
        digest.update(bytes)
        return digest.hex()
    }
}
