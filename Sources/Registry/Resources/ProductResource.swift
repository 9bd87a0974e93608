/// A file the operator gives the devices of a product (device-protocol.md §6.12.3 "download"), stored in
/// the data directory under its opaque `fileToken` and pushed to devices by resource tasks.
public struct ProductResource: Sendable, Hashable {
    public var productId: String
    /// 1...63 characters of `[A-Za-z0-9._-]`, unique per product.
    public var name: String
    /// Lowercase hex.
    public var md5: String
    public var size: Int64
    public var description: String
    /// The file's name in the data directory and the last segment of its download URL.
    public var fileToken: String
    /// Unix ms.
    public var createdAt: Int64

    public init(productId: String, name: String, md5: String, size: Int64, description: String = "", fileToken: String, createdAt: Int64) {
        self.productId = productId
        self.name = name
        self.md5 = md5
        self.size = size
        self.description = description
        self.fileToken = fileToken
        self.createdAt = createdAt
    }
}
