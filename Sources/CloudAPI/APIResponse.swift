import Foundation
public import JSONCore

/// The body of a management-API response was not an API 3.0 envelope.
public struct APIResponseFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { "malformed API response: \(reason)" }
}

/// API 3.0 response envelopes (cloud-api.md §4.1). Always send them with HTTP status 200 and
/// `Content-Type: application/json` exactly (`APIResponse.contentType`, no charset: the Python SDK
/// then ignores errors).
public enum APIResponse {
    /// The only acceptable `Content-Type` of a response.
    public static let contentType = "application/json"

    /// A fresh lower-case UUID string for `RequestId`.
    public static func newRequestId() -> String {
        UUID().uuidString.lowercased()
    }

    /// `{"Response":{<fields…>,"RequestId":"<requestId>"}}`; a `RequestId` among `fields` is replaced.
    public static func success(_ fields: [(String, JSONValue)], requestId: String) -> [UInt8] {
        var response = JSONObject(fields)
        response.removeValue(forKey: "RequestId")
        response["RequestId"] = .string(requestId)
        return JSONValue.object(["Response": .object(response)]).serialized()
    }

    /// Same with the fields as a JSON object (a non-object yields only `RequestId`).
    public static func success(_ fields: JSONValue, requestId: String) -> [UInt8] {
        success(fields.objectValue?.entries.map { ($0.key, $0.value) } ?? [], requestId: requestId)
    }

    /// `{"Response":{"Error":{"Code":"…","Message":"…"},"RequestId":"<requestId>"}}`.
    public static func error(_ error: APIError, requestId: String) -> [UInt8] {
        let envelope: JSONValue = [
            "Response": [
                "Error": ["Code": .string(error.code), "Message": .string(error.message)],
                "RequestId": .string(requestId),
            ],
        ]
        return envelope.serialized()
    }

    /// Client side: `.success(Response object, RequestId included)` or `.failure(APIError)` with
    /// code, message and request id when `Response.Error` is present. Throws `JSONParseError` or
    /// `APIResponseFormatError` when the body is not an envelope.
    public static func parse(_ body: [UInt8]) throws -> Result<JSONValue, APIError> {
        let document = try JSONValue(parsing: body)
        guard let response = document["Response"], case .object = response else {
            throw APIResponseFormatError(reason: "no Response object")
        }
        if let error = response["Error"] {
            guard let code = error["Code"]?.stringValue else {
                throw APIResponseFormatError(reason: "Response.Error without a Code")
            }
            return .failure(APIError(
                code: code,
                message: error["Message"]?.stringValue ?? "",
                requestId: response["RequestId"]?.stringValue
            ))
        }
        return .success(response)
    }
}
