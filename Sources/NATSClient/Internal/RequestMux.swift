import NATSCore
import NIOCore

/// Request/reply over one wildcard inbox subscription: request *n* publishes with reply subject
/// `<prefix>.<n>` and waits for the message that arrives on it via the `<prefix>.*` subscription.
struct RequestMux {
    private struct Pending {
        var promise: EventLoopPromise<NATSMessage>
        var timeout: Scheduled<Void>?
    }

    /// `<inbox prefix>.<random>`, unique per connection.
    let prefix: String
    /// The sid of the `<prefix>.*` subscription, once the first request created it.
    var sid: UInt64?
    private var lastID: UInt64 = 0
    private var pending: [String: Pending] = [:]

    init(prefix: String) {
        self.prefix = prefix
    }

    var subscriptionSubject: String { "\(self.prefix).*" }

    /// A new token; the reply subject is `<prefix>.<token>`.
    mutating func makeToken() -> String {
        self.lastID += 1
        return String(self.lastID)
    }

    func replySubject(for token: String) -> String { "\(self.prefix).\(token)" }

    mutating func register(token: String, promise: EventLoopPromise<NATSMessage>, timeout: Scheduled<Void>?) {
        self.pending[token] = Pending(promise: promise, timeout: timeout)
    }

    /// Completes a request (once; later completions of the same token are ignored).
    mutating func complete(_ token: String, with result: Result<NATSMessage, NATSClientError>) {
        guard let pending = self.pending.removeValue(forKey: token) else { return }
        pending.timeout?.cancel()
        pending.promise.completeWith(result.mapError { $0 as any Error })
    }

    /// A message arrived on the inbox: a reply, or the server's "no responders" status (503 without payload).
    mutating func replyReceived(_ message: NATSMessage) {
        guard message.subject.utf8.count > self.prefix.utf8.count + 1 else { return }
        let token = String(message.subject.dropFirst(self.prefix.count + 1))
        if message.headers?.status == 503, message.payload.readableBytes == 0 {
            self.complete(token, with: .failure(NATSClientError(.noResponders, "no subscriber for the request subject")))
        } else {
            self.complete(token, with: .success(message))
        }
    }

    mutating func failAll(_ error: NATSClientError) {
        let pending = self.pending
        self.pending.removeAll()
        for request in pending.values {
            request.timeout?.cancel()
            request.promise.fail(error)
        }
    }

    var pendingCount: Int { self.pending.count }
}
