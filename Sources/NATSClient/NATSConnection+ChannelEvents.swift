import DequeModule
import Logging
import NATSCore
import NIOCore

// What the channel handler reports, and writing to the channel.
extension NATSConnection {
    func received(_ operation: NATSServerOperation, generation: UInt64) {
        guard generation == self.generation else { return }
        switch operation {
        case .message(let message):
            self.deliver(message)
        case .ping:
            self.stats.serverPings += 1
            self.write(NATSClientEncoder.pong)
        case .pong:
            let action = self.stateMachine.pongReceived()
            if case .connectionEstablished = action {
                self.execute(action)
            } else if let waiter = self.pongWaiters.popFirst() {
                waiter?.succeed()
            }
        case .info(let info):
            self.info = info
            if info.lameDuckMode {
                self.logger.warning("server is entering lame-duck mode")
            }
            self.execute(self.stateMachine.infoReceived())
        case .ok:
            break
        case .error(let text):
            self.stats.serverErrors += 1
            self.lastError = NATSClientError(.serverError, "server reported an error", serverMessage: text)
            self.logger.warning("server error", metadata: [NATSLogKey.error: "\(text)"])
        }
    }

    func protocolViolation(_ error: NATSCoreError, generation: UInt64) {
        guard generation == self.generation else { return }
        self.lastError = NATSClientError(.protocolError, "could not parse the server's data", underlying: error)
        self.logger.error("protocol error, closing connection", metadata: [NATSLogKey.error: "\(error)"])
    }

    func channelError(_ error: any Error, generation: UInt64) {
        guard generation == self.generation else { return }
        self.lastError = NATSClientError(.connectionLost, "channel error", underlying: error)
        self.logger.debug("channel error", metadata: [NATSLogKey.error: "\(error)"])
    }

    func channelClosed(generation: UInt64) {
        guard generation == self.generation, self.channel != nil else { return }
        self.channel = nil
        self.pingTimer?.cancel()
        self.pingTimer = nil
        self.handshakeTimer?.cancel()
        self.handshakeTimer = nil
        let lost = NATSClientError(.connectionLost, "connection lost", underlying: self.lastError)
        while let waiter = self.pongWaiters.popFirst() { waiter?.fail(lost) }
        // Waiting publishes retry: they are buffered for the reconnect or fail if the connection is closing.
        while let waiter = self.writabilityWaiters.popFirst() { waiter.succeed() }
        self.execute(self.stateMachine.channelClosed())
    }

    func writabilityChanged(generation: UInt64) {
        // Checked now rather than when the event was raised: it may have flipped again since.
        guard generation == self.generation, self.channel?.isWritable == true else { return }
        while let waiter = self.writabilityWaiters.popFirst() { waiter.succeed() }
    }

    // MARK: Writing

    /// Writes control bytes now (no back-pressure: they are small) and flushes at the end of this loop tick.
    func write(_ bytes: [UInt8]) {
        guard let channel = self.channel, !bytes.isEmpty else { return }
        channel.write(ByteBuffer(bytes: bytes), promise: nil)
        self.scheduleFlush()
    }

    /// Flushes once after everything written in this loop tick, rather than once per write.
    func scheduleFlush() {
        guard !self.flushScheduled else { return }
        self.flushScheduled = true
        self.eventLoop.execute { [self] in
            self.assumeIsolated { connection in
                connection.flushScheduled = false
                connection.channel?.flush()
            }
        }
    }
}
