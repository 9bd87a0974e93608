import Logging
import NATSCore

extension NATSConnection {
    /// Subscribes to `subject` (wildcards allowed), optionally as a member of queue group `queue` (each message
    /// goes to one member of the group).
    ///
    /// The SUB is sent at once (or after the reconnect, while reconnecting). The server starts delivering once it
    /// has processed it; call ``flush()`` to wait for that.
    ///
    /// - Parameter limits: the buffer bounds of this subscription; default ``NATSConfiguration/subscriptionLimits``.
    public func subscribe(
        _ subject: String,
        queue: String? = nil,
        limits: NATSSubscription.Limits? = nil
    ) async throws -> NATSSubscription {
        var bytes: [UInt8] = []
        do {
            // Validate with a placeholder sid so that a rejected subscription takes no sid.
            try NATSClientEncoder.writeSubscribe(subject: subject, queueGroup: queue, sid: 0, into: &bytes)
        } catch {
            throw NATSClientError.invalid(error)
        }
        try self.checkAcceptsSubscriptions()
        let buffer = SubscriptionBuffer(limits: limits ?? self.configuration.subscriptionLimits)
        let sid = self.subscriptions.add(subject: subject, queue: queue, sink: .subscription(buffer))
        bytes.removeAll()
        try? NATSClientEncoder.writeSubscribe(subject: subject, queueGroup: queue, sid: sid, into: &bytes)
        if case .connected = self.stateMachine.state {
            self.write(bytes)
        }
        self.logger.debug("subscribed", metadata: [NATSLogKey.sid: "\(sid)"])
        return NATSSubscription(sid: sid, subject: subject, queue: queue, buffer: buffer, connection: self)
    }

    /// Unsubscribes now, or (with `after`) once that many messages in total were received for the subscription.
    /// The subscription's sequence ends after its buffered messages.
    public func unsubscribe(_ subscription: NATSSubscription, after maxMessages: Int? = nil) async throws {
        guard self.subscriptions[subscription.sid] != nil else {
            subscription.buffer.finish()
            return
        }
        var bytes: [UInt8] = []
        if let maxMessages {
            guard maxMessages > 0 else {
                throw NATSClientError(.invalidArgument, "unsubscribe(after:) needs a positive count")
            }
            if self.subscriptions.setMaxMessages(UInt64(maxMessages), for: subscription.sid) {
                self.subscriptions.remove(subscription.sid)
                subscription.buffer.finish()
            }
            NATSClientEncoder.writeUnsubscribe(sid: subscription.sid, maxMessages: UInt64(maxMessages), into: &bytes)
        } else {
            self.subscriptions.remove(subscription.sid)
            subscription.buffer.finish()
            NATSClientEncoder.writeUnsubscribe(sid: subscription.sid, maxMessages: nil, into: &bytes)
        }
        if case .connected = self.stateMachine.state {
            self.write(bytes)
        }
    }

    func checkAcceptsSubscriptions() throws {
        if self.isDraining {
            throw NATSClientError(.draining, "the connection is draining")
        }
        switch self.stateMachine.state {
        case .connected, .waitingToReconnect:
            return
        case .connecting(let attempt), .awaitingInfo(let attempt), .awaitingPong(let attempt):
            if attempt.isInitial { throw NATSClientError(.notConnected, "not connected yet") }
        case .idle:
            throw NATSClientError(.notConnected, "connect() has not been called")
        case .closing, .closed:
            throw NATSClientError(.connectionClosed, "connection closed")
        }
    }

    /// Routes a MSG/HMSG to its subscription or to a waiting request.
    func deliver(_ inbound: NATSInboundMessage) {
        self.stats.inMessages += 1
        self.stats.inBytes += UInt64(inbound.payload.count)
        guard let (sink, isLast) = self.subscriptions.recordMessage(for: inbound.sid) else {
            return  // in flight when the subscription ended
        }
        switch sink {
        case .subscription(let buffer):
            if !buffer.yield(NATSMessage(inbound)) {
                self.stats.droppedMessages += 1
                if buffer.droppedCount == 1 {
                    self.logger.warning(
                        "slow consumer: subscription buffer full, dropping messages",
                        metadata: [NATSLogKey.sid: "\(inbound.sid)"]
                    )
                }
            }
            if isLast {
                buffer.finish()
            }
        case .inbox:
            self.requests.replyReceived(NATSMessage(inbound))
        }
    }
}
