import NIOCore
import NIOHTTP1

/// The HTTP floor: `GET /health` on the same listener the registrations use. Every request is the
/// same pre-built head.
struct FloorScenario: Scenario {
    let name = "floor"
    private let prepared: PreparedRequest
    private static let expected = ByteBuffer(string: #"{"status":"ok"}"#)

    init(host: String, port: Int) {
        prepared = PreparedRequest(method: .GET, uri: "/health", headers: benchHeaders(host: host, port: port))
    }

    func request(_ index: Int) -> PreparedRequest? { prepared }

    func check(index: Int, status: HTTPResponseStatus, body: ByteBuffer?) -> String? {
        guard status == .ok else { return "HTTP \(status.code)" }
        guard body == Self.expected else { return "unexpected body" }
        return nil
    }
}
