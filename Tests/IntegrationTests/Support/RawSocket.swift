import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A non-blocking TCP client socket on 127.0.0.1 for tests that decide exactly when bytes are sent, what
/// stays unsent, and whether and when the client closes. Waits poll the socket without blocking a thread
/// (the in-process hub's handlers run on the same cooperative pool).
final class RawSocket {
    private(set) var descriptor: Int32
    /// Everything received so far.
    private(set) var received: [UInt8] = []
    /// The peer closed (EOF) or reset the connection.
    private(set) var peerClosed = false

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = errno
            Glibc.close(descriptor)
            throw Failure(description: "connect to \(port): errno \(error)")
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    deinit { close() }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Sends what the socket takes now without waiting; returns how many bytes (0 when the peer's window
    /// and the send buffer are full, or the connection is gone).
    @discardableResult
    func sendSome(_ bytes: ArraySlice<UInt8>) -> Int {
        guard descriptor >= 0, !bytes.isEmpty else { return 0 }
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return max(sent, 0)
    }

    /// Sends all of `bytes`, waiting for the socket to take them; false if the connection broke.
    func send(_ bytes: [UInt8], timeout: Duration = .seconds(10)) async throws -> Bool {
        var offset = 0
        let deadline = ContinuousClock.now + timeout
        while offset < bytes.count {
            guard descriptor >= 0 else { return false }
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                offset += sent
            } else if sent < 0, errno != EAGAIN, errno != EWOULDBLOCK {
                return false
            } else {
                guard ContinuousClock.now < deadline else { throw Failure(description: "send timed out") }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        return true
    }

    /// Reads what is available now, without waiting.
    func pump() {
        guard descriptor >= 0, !peerClosed else { return }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[..<count]
            } else if count == 0 {
                peerClosed = true
                return
            } else {
                if errno != EAGAIN, errno != EWOULDBLOCK { peerClosed = true }
                return
            }
        }
    }

    /// Waits until the peer closes the connection (EOF or reset); false if it is still open at the deadline.
    func waitForClose(timeout: Duration = .seconds(20)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            pump()
            if peerClosed { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// The first complete response received (head and `Content-Length` body), waiting up to `timeout`.
    func response(timeout: Duration = .seconds(10)) async throws -> Response? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            pump()
            if let response = Response(parsing: received) { return response }
            if peerClosed { return nil }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Forgets the bytes received so far (before the next request on a keep-alive connection).
    func clearReceived() { received = [] }

    struct Response {
        var status: Int
        /// Header names lower-cased.
        var headers: [String: String]
        var body: [UInt8]

        init?(parsing bytes: [UInt8]) {
            let separator: [UInt8] = [13, 10, 13, 10]
            guard bytes.count >= 4, let end = (0...(bytes.count - 4)).first(where: { bytes[$0..<$0 + 4].elementsEqual(separator) }) else { return nil }
            let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            guard let statusLine = lines.first, statusLine.count >= 12, let status = Int(statusLine.dropFirst(9).prefix(3)) else { return nil }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            guard bytes.count - (end + 4) >= length else { return nil }
            self.status = status
            self.headers = headers
            self.body = Array(bytes[(end + 4)..<(end + 4 + length)])
        }
    }
}
