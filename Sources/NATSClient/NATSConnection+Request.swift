import NATSCore
import NIOCore

extension NATSConnection {
    /// Publishes `payload` to `subject` with a unique reply subject and returns the first reply.
    ///
    /// All requests share one wildcard inbox subscription (`<inboxPrefix>.<random>.*`), created by the first.
    ///
    /// - Throws: ``NATSClientError/Code/noResponders`` at once if nobody subscribes to `subject`,
    ///   ``NATSClientError/Code/timeout`` after `timeout`, ``NATSClientError/Code/cancelled`` if the task is
    ///   cancelled, or any error of ``publish(_:payload:headers:replyTo:)-(_,ByteBuffer,_,_)``.
    public func request(
        _ subject: String,
        payload: ByteBuffer,
        headers: NATSHeaders? = nil,
        timeout: Duration
    ) async throws -> NATSMessage {
        do {
            try NATSSubject.validate(subject, as: .publish)
        } catch {
            throw NATSClientError.invalid(error)
        }
        try self.checkAcceptsSubscriptions()
        if self.requests.sid == nil {
            let inboxSubject = self.requests.subscriptionSubject
            let sid = self.subscriptions.add(subject: inboxSubject, queue: nil, sink: .inbox)
            self.requests.sid = sid
            if case .connected = self.stateMachine.state {
                var bytes: [UInt8] = []
                try? NATSClientEncoder.writeSubscribe(subject: inboxSubject, queueGroup: nil, sid: sid, into: &bytes)
                self.write(bytes)
            }
        }

        let token = self.requests.makeToken()
        let promise = self.eventLoop.makePromise(of: NATSMessage.self)
        let timer = self.eventLoop.scheduleTask(in: TimeAmount(timeout)) { [self] in
            self.assumeIsolated {
                $0.requests.complete(token, with: .failure(NATSClientError(.timeout, "no reply within \(timeout)")))
            }
        }
        self.requests.register(token: token, promise: promise, timeout: timer)
        do {
            try await self.publish(subject, payload: payload, headers: headers, replyTo: self.requests.replySubject(for: token))
        } catch let error as NATSClientError {
            self.requests.complete(token, with: .failure(error))
            throw error
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: { [self] in
            self.eventLoop.execute {
                self.assumeIsolated {
                    $0.requests.complete(token, with: .failure(NATSClientError(.cancelled, "request cancelled")))
                }
            }
        }
    }

    /// ``request(_:payload:headers:timeout:)`` with a byte-array payload.
    public func request(
        _ subject: String,
        payload: [UInt8],
        headers: NATSHeaders? = nil,
        timeout: Duration
    ) async throws -> NATSMessage {
        try await self.request(subject, payload: ByteBuffer(bytes: payload), headers: headers, timeout: timeout)
    }
}
