import DeviceAuth
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// v2 dynamic registration with auto-create (`POST /device/register`, device-protocol.md §3.2): every
/// request names a new device `bench-<run>-<n>` and is signed with hmacsha256 over the loopback host,
/// exactly as the Python SDK signs it. All requests are signed before the run starts.
struct RegistrationScenario: Scenario {
    let name = "register"
    let productSecret: String
    /// Every `verifyEvery`-th success is decrypted and its PSK checked (0: never); the others are
    /// checked by the shape of the reply only, so that the generator stays cheap.
    let verifyEvery: Int
    private let pool: [PreparedRequest]
    private static let successPrefix = Array(#"{"Response":{"Len":"#.utf8)

    init(
        host: String,
        port: Int,
        productId: String,
        productSecret: String,
        runId: String,
        count: Int,
        verifyEvery: Int
    ) {
        self.productSecret = productSecret
        self.verifyEvery = verifyEvery
        let timestamp = String(time(nil))
        var random = SystemRandomNumberGenerator()
        var pool: [PreparedRequest] = []
        pool.reserveCapacity(count)
        let base = benchHeaders(host: host, port: port) + [("Content-Type", "application/json; charset=utf-8")]
        for n in 0..<count {
            let body = Array(RegistrationWire.v2RequestBody(productId: productId, deviceName: "bench-\(runId)-\(n)").utf8)
            let signed = V2RegistrationHeaders(
                signing: body,
                host: host,
                algorithm: .hmacSHA256,
                timestamp: timestamp,
                nonce: String(UInt32.random(in: 1..<UInt32(Int32.max), using: &random)),
                productSecret: productSecret
            )
            let headers = base + signed.fields.map { ($0.name, $0.value) }
            pool.append(PreparedRequest(method: .POST, uri: V2RegistrationSignature.path, headers: headers, body: body))
        }
        self.pool = pool
    }

    func request(_ index: Int) -> PreparedRequest? {
        index < pool.count ? pool[index] : nil
    }

    func check(index: Int, status: HTTPResponseStatus, body: ByteBuffer?) -> String? {
        guard status == .ok else { return "HTTP \(status.code)" }
        guard let body else { return "empty body" }
        let isSuccess = body.withUnsafeReadableBytes { bytes in
            bytes.count > Self.successPrefix.count && bytes.starts(with: Self.successPrefix)
        }
        guard isSuccess else { return Self.failureCode(body) }
        guard verifyEvery > 0, index % verifyEvery == 0 else { return nil }
        do {
            switch try RegistrationWire.parseV2Response(Array(body.readableBytesView)) {
            case .failure(let error): return "\(error.code)"
            case .success(let encrypted):
                guard case .psk(let psk) = try encrypted.decrypt(productSecret: productSecret),
                    DeviceIdentifiers.isValidPSK(psk)
                else { return "payload is not a PSK" }
                return nil
            }
        } catch {
            return "undecryptable payload"
        }
    }

    /// The `Response.Error.Code` of a refusal, or a description of a reply that is not one.
    private static func failureCode(_ body: ByteBuffer) -> String {
        switch try? RegistrationWire.parseV2Response(Array(body.readableBytesView)) {
        case .failure(let error)?:
            if case .v2(let code) = error.code { return code }
            return "\(error.code)"
        case .success?: return "success reply of unexpected shape"
        case nil: return "malformed reply"
        }
    }
}
