import DequeModule
import Logging
import NATSCore
import NIOCore
import NIOPosix

// Executing the state machine's actions: opening channels, the handshake, timers, reconnecting, closing.
extension NATSConnection {
    func execute(_ action: ConnectionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .openChannel(let serverIndex):
            self.openChannel(serverIndex: serverIndex)
        case .sendConnect:
            self.sendConnect()
        case .connectionEstablished(let isReconnect):
            self.connectionEstablished(isReconnect: isReconnect)
        case .sendPing:
            self.pongWaiters.append(nil)
            self.write(NATSClientEncoder.ping)
        case .closeChannel(let reason):
            switch reason {
            case .requested:
                break
            case .staleConnection:
                self.stats.staleConnections += 1
                self.lastError = NATSClientError(.staleConnection, "server did not answer PING")
                self.logger.warning("connection is stale, closing it")
            case .handshakeTimeout:
                self.lastError = NATSClientError(.handshakeTimeout, "server did not complete the handshake in time")
            }
            self.channel?.close(promise: nil)
        case .scheduleReconnect(let delay):
            self.scheduleReconnect(after: delay)
        case .failInitialConnect:
            let error = NATSClientError(.connectionFailed, "no server accepted the connection", underlying: self.lastError)
            self.logger.error("connect failed", metadata: [NATSLogKey.error: "\(self.lastError.map { "\($0)" } ?? "-")"])
            self.connectPromise?.fail(error)
            self.connectPromise = nil
        case .giveUp:
            let error = NATSClientError(
                .reconnectFailed,
                self.configuration.reconnect.isEnabled ? "reconnect attempts exhausted" : "connection lost",
                underlying: self.lastError
            )
            self.logger.error("connection closed for good", metadata: [NATSLogKey.error: "\(error)"])
            self.finishClosing(error: error)
        case .closed:
            self.logger.debug("connection closed")
            self.finishClosing(error: nil)
        }
    }

    private func openChannel(serverIndex: Int) {
        self.generation += 1
        let generation = self.generation
        let server = self.configuration.servers[serverIndex]
        let parserLimits = self.configuration.parserLimits
        self.logger.debug("opening channel", metadata: [NATSLogKey.server: "\(server)"])
        ClientBootstrap(group: self.eventLoop)
            .connectTimeout(TimeAmount(self.configuration.connectTimeout))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = NATSChannelHandler(connection: self, generation: generation, parserLimits: parserLimits)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: server.host, port: server.port)
            .whenComplete { [self] result in
                self.assumeIsolated { $0.channelOpenCompleted(result, server: server, generation: generation) }
            }
    }

    private func channelOpenCompleted(
        _ result: Result<any Channel, any Error>,
        server: NATSConfiguration.Server,
        generation: UInt64
    ) {
        guard generation == self.generation else {
            if case .success(let channel) = result { channel.close(promise: nil) }
            return
        }
        switch result {
        case .success(let channel):
            self.channel = channel
            self.handshakeTimer = self.eventLoop.scheduleTask(in: TimeAmount(self.configuration.connectTimeout)) {
                [self] in
                self.assumeIsolated { connection in
                    guard connection.generation == generation else { return }
                    connection.execute(connection.stateMachine.handshakeTimedOut())
                }
            }
            self.execute(self.stateMachine.channelOpened())
        case .failure(let error):
            self.logger.debug(
                "could not open channel",
                metadata: [NATSLogKey.server: "\(server)", NATSLogKey.error: "\(error)"]
            )
            self.lastError = NATSClientError(.connectionFailed, "could not connect to \(server)", underlying: error)
            self.execute(self.stateMachine.channelOpenFailed())
        }
    }

    private func sendConnect() {
        if self.info?.tlsRequired == true {
            self.lastError = NATSClientError(.tlsRequired, "the server requires TLS")
            self.channel?.close(promise: nil)
            return
        }
        var bytes: [UInt8] = []
        do {
            try NATSClientEncoder.writeConnect(self.configuration.connectOptions, into: &bytes)
        } catch {
            self.lastError = .invalid(error)
            self.channel?.close(promise: nil)
            return
        }
        bytes.append(contentsOf: NATSClientEncoder.ping)
        self.write(bytes)
    }

    private func connectionEstablished(isReconnect: Bool) {
        self.handshakeTimer?.cancel()
        self.handshakeTimer = nil
        self.lastError = nil
        guard let channel = self.channel else { return }
        self.startPingTimer()

        // Subscriptions first, so that buffered publishes to our own subjects are delivered to them.
        var bytes: [UInt8] = []
        for (sid, entry) in self.subscriptions.sorted {
            // Entries were validated when they were created.
            try? NATSClientEncoder.writeSubscribe(subject: entry.subject, queueGroup: entry.queue, sid: sid, into: &bytes)
            if let remaining = entry.remaining {
                NATSClientEncoder.writeUnsubscribe(sid: sid, maxMessages: remaining, into: &bytes)
            }
        }
        if !bytes.isEmpty {
            channel.write(ByteBuffer(bytes: bytes), promise: nil)
        }
        let buffered = self.reconnectBuffer.removeAll()
        for buffer in buffered {
            channel.write(buffer, promise: nil)
        }
        channel.flush()

        let server = self.info.map { "\($0.host ?? "?"):\($0.port ?? 0)" } ?? "?"
        if isReconnect {
            self.stats.reconnects += 1
            self.logger.info(
                "reconnected",
                metadata: [NATSLogKey.server: "\(server)", NATSLogKey.count: "\(buffered.count)"]
            )
        } else {
            self.logger.info("connected", metadata: [NATSLogKey.server: "\(server)"])
            self.connectPromise?.succeed()
            self.connectPromise = nil
        }
    }

    private func startPingTimer() {
        self.pingTimer?.cancel()
        let interval = TimeAmount(self.configuration.keepAlive.pingInterval)
        let generation = self.generation
        self.pingTimer = self.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in
            self.assumeIsolated { connection in
                guard connection.generation == generation else { return }
                connection.execute(connection.stateMachine.pingTimerFired())
            }
        }
    }

    private func scheduleReconnect(after delay: Duration) {
        let jitter = self.configuration.reconnect.jitter
        let jittered = jitter > 0 ? delay + delay * Double.random(in: 0...jitter) : delay
        self.logger.info(
            "disconnected, reconnecting",
            metadata: [
                NATSLogKey.delay: "\(jittered)",
                NATSLogKey.error: "\(self.lastError.map { "\($0)" } ?? "-")",
            ]
        )
        self.reconnectTimer = self.eventLoop.scheduleTask(in: TimeAmount(jittered)) { [self] in
            self.assumeIsolated { connection in
                connection.reconnectTimer = nil
                connection.execute(connection.stateMachine.reconnectTimerFired())
            }
        }
    }

    /// Ends everything once the state machine reached `closed`.
    private func finishClosing(error: NATSClientError?) {
        self.pingTimer?.cancel()
        self.handshakeTimer?.cancel()
        self.reconnectTimer?.cancel()
        self.pingTimer = nil
        self.handshakeTimer = nil
        self.reconnectTimer = nil
        self.channel = nil
        self.finalError = error

        let failure = error ?? NATSClientError(.connectionClosed, "connection closed")
        self.connectPromise?.fail(failure)
        self.connectPromise = nil
        while let waiter = self.pongWaiters.popFirst() { waiter?.fail(failure) }
        while let waiter = self.writabilityWaiters.popFirst() { waiter.fail(failure) }
        self.requests.failAll(failure)
        for (_, entry) in self.subscriptions.removeAll() {
            if case .subscription(let buffer) = entry.sink { buffer.finish(error) }
        }
        let discarded = self.reconnectBuffer.removeAll()
        if !discarded.isEmpty {
            self.logger.warning("discarded buffered publishes", metadata: [NATSLogKey.count: "\(discarded.count)"])
        }
        for waiter in self.closeWaiters { waiter.succeed() }
        self.closeWaiters.removeAll()
    }
}
