import Foundation

extension RegistrationWire {
    /// Reads a legacy reply: `code` 0 with `len` and `payload`, or a non-zero `code` with
    /// `message` (and usually `requestId`).
    /// - Throws: ``DeviceAuthError/Code/malformedResponse`` if the body is neither.
    public static func parseLegacyResponse(
        _ body: [UInt8]
    ) throws -> Result<EncryptedCredential, RegistrationServerError> {
        let reply: LegacyReply = try decode(body)
        guard reply.code == 0 else {
            return .failure(
                RegistrationServerError(
                    code: .legacy(reply.code),
                    message: reply.message ?? "",
                    requestId: reply.requestId
                )
            )
        }
        guard let length = reply.len, length > 0, let payload = reply.payload else {
            throw DeviceAuthError(.malformedResponse, "legacy success reply without len or payload")
        }
        return .success(EncryptedCredential(length: length, payload: payload))
    }

    /// Reads a v2 reply: `Response.Error` (code and message) or `Response.Len` and
    /// `Response.Payload`.
    /// - Throws: ``DeviceAuthError/Code/malformedResponse`` if the body is neither.
    public static func parseV2Response(
        _ body: [UInt8]
    ) throws -> Result<EncryptedCredential, RegistrationServerError> {
        let response = try (decode(body) as V2Reply).response
        if let error = response.error {
            return .failure(
                RegistrationServerError(
                    code: .v2(error.code),
                    message: error.message ?? "",
                    requestId: response.requestId
                )
            )
        }
        guard let length = response.length, length > 0, let payload = response.payload else {
            throw DeviceAuthError(.malformedResponse, "v2 reply without Error, Len or Payload")
        }
        return .success(EncryptedCredential(length: length, payload: payload))
    }

    private static func decode<Reply: Decodable>(_ body: [UInt8]) throws -> Reply {
        do {
            return try JSONDecoder().decode(Reply.self, from: Data(body))
        } catch {
            throw DeviceAuthError(.malformedResponse, "registration reply is not the expected JSON", underlying: error)
        }
    }
}

private struct LegacyReply: Decodable {
    var code: Int
    var message: String?
    var len: Int?
    var payload: String?
    var requestId: String?
}

private struct V2Reply: Decodable {
    struct Body: Decodable {
        var error: ErrorFields?
        var length: Int?
        var payload: String?
        var requestId: String?

        enum CodingKeys: String, CodingKey {
            case error = "Error"
            case length = "Len"
            case payload = "Payload"
            case requestId = "RequestId"
        }
    }

    struct ErrorFields: Decodable {
        var code: String
        var message: String?

        enum CodingKeys: String, CodingKey {
            case code = "Code"
            case message = "Message"
        }
    }

    var response: Body

    enum CodingKeys: String, CodingKey {
        case response = "Response"
    }
}
