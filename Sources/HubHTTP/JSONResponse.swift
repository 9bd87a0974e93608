import HTTPTypes
import Logging

import Hummingbird
import NIOCore

extension Response {
    /// A 200 response with `Content-Type: application/json` exactly (no charset: the Tencent clients
    /// need it so) and an exact `Content-Length`, never chunked.
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.contentLength] = String(bytes.count)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
