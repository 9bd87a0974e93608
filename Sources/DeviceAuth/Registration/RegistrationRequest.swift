import Foundation

/// A parsed legacy `POST /register/dev` body (hub side).
///
/// The body is JSON whatever the `Content-Type` says; keys may come in any order;
/// `nonce` and `timestamp` may be integers or decimal strings and are kept as decimal text.
public struct LegacyRegistrationRequest: Sendable, Hashable {
    public var productId: String
    public var deviceName: String
    public var nonce: String
    public var timestamp: String
    public var signature: String

    /// - Throws: ``RegistrationRefusal/invalidRequest`` if the body is not a JSON object with
    ///   the five fields of the right types.
    public init(parsing body: [UInt8]) throws(RegistrationRefusal) {
        let fields: LegacyRequestFields
        do {
            fields = try JSONDecoder().decode(LegacyRequestFields.self, from: Data(body))
        } catch {
            throw .invalidRequest
        }
        productId = fields.productId
        deviceName = fields.deviceName
        nonce = fields.nonce.value
        timestamp = fields.timestamp.value
        signature = fields.signature
    }

    /// The string-to-sign rebuilt from the parsed values.
    public var stringToSign: String {
        LegacyRegistrationSignature.stringToSign(
            deviceName: deviceName,
            nonce: nonce,
            productId: productId,
            timestamp: timestamp
        )
    }

    /// Whether the signature is valid for `productSecret` (constant-time compare).
    public func verifySignature(productSecret: String) -> Bool {
        LegacyRegistrationSignature.verify(
            signature: signature,
            stringToSign: stringToSign,
            productSecret: productSecret
        )
    }
}

/// A parsed v2 `POST /device/register` body (hub side). Extra fields are ignored
/// (they are still covered by the body hash).
public struct V2RegistrationRequest: Sendable, Hashable {
    public var productId: String
    public var deviceName: String

    /// - Throws: ``RegistrationRefusal/invalidRequest`` unless the body is a JSON object with
    ///   string `ProductId` and `DeviceName`.
    public init(parsing body: [UInt8]) throws(RegistrationRefusal) {
        let fields: V2RequestFields
        do {
            fields = try JSONDecoder().decode(V2RequestFields.self, from: Data(body))
        } catch {
            throw .invalidRequest
        }
        productId = fields.productId
        deviceName = fields.deviceName
    }
}

private struct LegacyRequestFields: Decodable {
    var productId: String
    var deviceName: String
    var nonce: DecimalText
    var timestamp: DecimalText
    var signature: String
}

private struct V2RequestFields: Decodable {
    var productId: String
    var deviceName: String

    enum CodingKeys: String, CodingKey {
        case productId = "ProductId"
        case deviceName = "DeviceName"
    }
}
