import HTTPTypes
import Logging

import Hummingbird
import NIOCore

extension Response {
    /// A 200 response with `Content-Type: application/json` exactly (no charset: the Tencent clients
    /// need it so) and an exact `Content-Length`, never chunked.
    /// `closing`: answered with `Connection: close`, the connection ends after it.
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, closing: Bool = false) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.contentLength] = String(bytes.count)
        if closing { headers[.connection] = "close" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
