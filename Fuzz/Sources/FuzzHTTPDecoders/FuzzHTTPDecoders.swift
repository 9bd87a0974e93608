import CloudAPI
import DeviceAuth
import Foundation
import JSONCore

/// libFuzzer entry point for the decoders behind the hub's HTTP listeners. The first byte picks a decoder; the
/// rest is its input. Each decoder must return or throw its own error type for every input; a crash, a trap or a
/// failed precondition is a finding. Where two decoders must agree, or a value must survive a round trip, the
/// harness checks that too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPDecoders(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    guard let selector = input.first else { return 0 }
    let bytes = Array(input.dropFirst())
    switch selector % 8 {
    case 0: legacyRegistrationBody(bytes)
    case 1: v2RegistrationBody(bytes)
    case 2: json(bytes)
    case 3: form(bytes)
    case 4: unsignedAPIRequest(bytes)
    case 5: signedAPIRequest(bytes)
    case 6: classicLogUpload(bytes)
    default: v2LogUpload(bytes)
    }
    return 0
}

/// `POST /register/dev` bodies.
private func legacyRegistrationBody(_ bytes: [UInt8]) {
    guard let request = try? LegacyRegistrationRequest(parsing: bytes) else { return }
    _ = request.verifySignature(productSecret: "fuzz-product-secret")
}

/// `POST /device/register` bodies: the gateway's byte-level fast path must accept only what the JSON parser reads
/// to the same two values (PlainV2Body's contract).
private func v2RegistrationBody(_ bytes: [UInt8]) {
    let full = try? V2RegistrationRequest(parsing: bytes)
    if let plain = PlainV2Body.parse(bytes) {
        precondition(full != nil, "PlainV2Body accepted a body the JSON parser refuses")
        precondition(full?.productId == plain.productId && full?.deviceName == plain.deviceName, "PlainV2Body read other values")
    }
}

/// `POST /cgi-bin/report-log` bodies (parsed by byte offsets) and their signature check.
private func classicLogUpload(_ bytes: [UInt8]) {
    guard let upload = ClassicLogUpload(parsing: bytes) else { return }
    _ = upload.verify(keys: ["fuzz-key-0123456789abcdef"])
}

/// `POST /device/reportlog` bodies: the lenient JSON reader (raw control bytes allowed) never traps.
private func v2LogUpload(_ bytes: [UInt8]) {
    _ = V2LogUploadBody(parsing: bytes)
}

/// The management API's JSON parser: whatever parses serializes to JSON that parses to the same value.
private func json(_ bytes: [UInt8]) {
    guard let value = try? JSONValue(parsing: bytes) else { return }
    let again = try? JSONValue(parsing: value.serialized())
    precondition(again == value, "JSON round trip changed the value")
}

/// Form and query strings: decoding never traps, and encoded pairs decode back to themselves.
private func form(_ bytes: [UInt8]) {
    let pairs = FormURLEncoding.parse(bytes)
    let reparsed = FormURLEncoding.parse(FormURLEncoding.encode(pairs))
    precondition(reparsed.map(\.name) == pairs.map(\.name) && reparsed.map(\.value) == pairs.map(\.value), "form round trip")
}

/// A whole management-API request as received: `METHOD query` on the first line, `Name: value` header lines, an
/// empty line, the body. Exercises the Authorization parsing and the legacy form path with arbitrary signatures.
private func unsignedAPIRequest(_ bytes: [UInt8]) {
    let request = RawRequest(bytes)
    let http = APIHTTPRequest(method: request.method, rawQuery: request.query, headers: request.headers, body: request.body)
    _ = try? decoder.decode(http, now: Date(timeIntervalSince1970: 1_700_000_000)) { _ in "fuzz-secret-key" }
}

/// A correctly TC3-signed request whose action, version and body come from the input, so the parameter decoding
/// and the action schemas' validation see arbitrary JSON.
private func signedAPIRequest(_ bytes: [UInt8]) {
    let request = RawRequest(bytes)
    let actions = ["DescribeDevice", "CreateDevice", "DescribeDevices", "UpdateDeviceShadow", "PublishMessage", "CreateProduct"]
    let action = actions[request.method.utf8.count % actions.count]
    let version = request.method.utf8.count % 2 == 0 ? "2021-04-08" : "2018-06-14"
    let timestamp: Int64 = 1_700_000_000
    let headers = signer.postJSONHeaders(action: action, version: version, host: "iotcloud.tencentcloudapi.com", body: request.body, timestamp: timestamp)
    let http = APIHTTPRequest(method: "POST", headers: headers, body: request.body)
    do {
        _ = try decoder.decode(http, now: Date(timeIntervalSince1970: TimeInterval(timestamp))) { _ in "fuzz-secret-key" }
    } catch {
        precondition(error.code != "AuthFailure.SignatureFailure", "a correct signature was refused")
    }
}

private let decoder = APIRequestDecoder()
private let signer = TC3Signer(secretId: "AKIDfuzz", secretKey: "fuzz-secret-key")

/// A naive reading of request text: enough structure to steer the decoder, no validation of its own.
private struct RawRequest {
    var method = "POST"
    var query = ""
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []

    init(_ bytes: [UInt8]) {
        var head = bytes[...]
        if let split = bytes.firstRange(of: [10, 10]) {
            head = bytes[..<split.lowerBound]
            body = Array(bytes[split.upperBound...])
        } else {
            body = bytes
            return
        }
        var lines = head.split(separator: 10, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let first = lines.isEmpty ? "" : lines.removeFirst()
        let parts = first.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        method = parts.first.map(String.init) ?? ""
        query = parts.count > 1 ? String(parts[1]) : ""
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
    }
}
