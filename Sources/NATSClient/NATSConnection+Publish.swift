import NATSCore
import NIOCore

extension NATSConnection {
    /// Publishes `payload` to `subject`.
    ///
    /// Returns once the message is handed to the channel (not when the server received it; use ``flush()`` for
    /// that). While the channel is not writable the call waits, so a fast publisher is slowed to the network's
    /// pace instead of buffering without bound. While reconnecting, the message is buffered up to
    /// ``NATSConfiguration/Reconnect-swift.struct/bufferBytes`` and then refused.
    ///
    /// - Throws: ``NATSClientError/Code/invalidArgument`` for an invalid subject, reply subject or header,
    ///   ``NATSClientError/Code/maxPayloadExceeded`` if headers + payload exceed the server's `max_payload`,
    ///   ``NATSClientError/Code/reconnectBufferFull``, ``NATSClientError/Code/notConnected`` before the first
    ///   connect, ``NATSClientError/Code/connectionClosed`` after close.
    public func publish(
        _ subject: String,
        payload: ByteBuffer,
        headers: NATSHeaders? = nil,
        replyTo: String? = nil
    ) async throws {
        var head: [UInt8] = []
        let size: Int
        do {
            size = try NATSClientEncoder.writePublishHead(
                subject: subject,
                replyTo: replyTo,
                headers: headers,
                payloadCount: payload.readableBytes,
                into: &head
            )
        } catch {
            throw NATSClientError.invalid(error)
        }
        if let maxPayload = self.info?.maxPayload, size > maxPayload {
            throw NATSClientError(
                .maxPayloadExceeded,
                "message of \(size) bytes exceeds the server's max_payload of \(maxPayload)"
            )
        }
        var buffer = ByteBufferAllocator().buffer(capacity: head.count + payload.readableBytes + 2)
        buffer.writeBytes(head)
        buffer.writeImmutableBuffer(payload)
        buffer.writeBytes(NATSClientEncoder.publishTail)
        try await self.send(buffer)
        self.stats.outMessages += 1
        self.stats.outBytes += UInt64(payload.readableBytes)
    }

    /// Publishes `payload` to `subject`; see ``publish(_:payload:headers:replyTo:)-(_,ByteBuffer,_,_)``.
    public func publish(
        _ subject: String,
        payload: [UInt8],
        headers: NATSHeaders? = nil,
        replyTo: String? = nil
    ) async throws {
        try await self.publish(subject, payload: ByteBuffer(bytes: payload), headers: headers, replyTo: replyTo)
    }

    /// Sends the PING/PONG round trip: returns once the server has processed everything sent before.
    ///
    /// - Throws: ``NATSClientError/Code/notConnected`` unless connected, ``NATSClientError/Code/connectionLost``
    ///   if the connection drops before the PONG.
    public func flush() async throws {
        guard case .connected = self.stateMachine.state, self.channel != nil else {
            throw NATSClientError(.notConnected, "flush needs an established connection (status \(self.status))")
        }
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.pongWaiters.append(promise)
        self.write(NATSClientEncoder.ping)
        try await promise.futureResult.get()
    }

    /// Writes an encoded publish, waiting while the channel is not writable, or buffers it while reconnecting.
    func send(_ buffer: ByteBuffer) async throws {
        while true {
            switch self.stateMachine.state {
            case .connected:
                guard let channel = self.channel else {
                    preconditionFailure("connected without a channel")
                }
                if channel.isWritable && self.writabilityWaiters.isEmpty {
                    channel.write(buffer, promise: nil)
                    self.scheduleFlush()
                    return
                }
                // Wait our turn; resumed (in order) when writable, or when the channel closes, then re-check.
                let promise = self.eventLoop.makePromise(of: Void.self)
                self.writabilityWaiters.append(promise)
                try await promise.futureResult.get()
            case .connecting(let attempt), .awaitingInfo(let attempt), .awaitingPong(let attempt),
                .waitingToReconnect(let attempt):
                guard !attempt.isInitial else {
                    throw NATSClientError(.notConnected, "not connected yet")
                }
                guard self.reconnectBuffer.append(buffer) else {
                    throw NATSClientError(
                        .reconnectBufferFull,
                        "reconnect buffer of \(self.reconnectBuffer.capacity) bytes is full"
                    )
                }
                return
            case .idle:
                throw NATSClientError(.notConnected, "connect() has not been called")
            case .closing, .closed:
                throw NATSClientError(.connectionClosed, "connection closed")
            }
        }
    }
}

extension NATSConnection {
    /// Publishes currently waiting for the channel to become writable (for tests and diagnostics).
    var waitingPublishCount: Int { self.writabilityWaiters.count }
}
