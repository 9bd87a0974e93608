import CloudAPI
import DeviceAuth
import Foundation
import JSONCore

extension TestHub {
    /// Uploads a firmware version the way an operator does: GetCOSURL, one PUT of the bytes to the URL it
    /// returns, UploadFirmware with the MD5. Returns the MD5.
    @discardableResult
    public func uploadFirmware(productId: String, version: String, bytes: [UInt8]) async throws -> String {
        let cos = try await api.call(
            "GetCOSURL", [("ProductId", .string(productId)), ("FirmwareVersion", .string(version)), ("FileSize", .int(Int64(bytes.count)))]
        )
        guard let url = cos["Url"]?.stringValue.flatMap(URL.init(string:)), let port = url.port else {
            throw TestAPIClient.Failure(code: "Malformed", message: "GetCOSURL returned no URL")
        }
        let request = RawHTTP.request(
            method: "PUT", path: url.path, headers: [("Host", "\(url.host ?? ""):\(port)"), ("Content-Type", "application/octet-stream")], body: bytes
        )
        guard let response = RawHTTP.parse(try await RawHTTP.exchange(port: port, request: request)), response.status == 200 else {
            throw TestAPIClient.Failure(code: "UploadFailed", message: "the firmware PUT was refused")
        }
        let md5 = MD5Digest.hex(of: bytes)
        try await api.call(
            "UploadFirmware",
            [
                ("ProductId", .string(productId)), ("FirmwareVersion", .string(version)), ("Md5sum", .string(md5)),
                ("FileSize", .int(Int64(bytes.count))), ("FirmwareName", .string("fw-\(version)")),
            ]
        )
        return md5
    }
}
