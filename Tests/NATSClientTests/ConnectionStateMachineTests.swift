import Testing

@testable import NATSClient

@Suite struct ConnectionStateMachineTests {
    private func machine(
        servers: Int = 1,
        reconnect: Bool = true,
        maxAttempts: Int? = nil,
        maxOutstandingPings: Int = 2
    ) -> ConnectionStateMachine {
        ConnectionStateMachine(
            configuration: .init(
                serverCount: servers,
                reconnectEnabled: reconnect,
                maxReconnectAttempts: maxAttempts,
                initialReconnectDelay: .milliseconds(100),
                maxReconnectDelay: .seconds(1),
                maxOutstandingPings: maxOutstandingPings
            )
        )
    }

    /// Drives a fresh machine through a successful first connect.
    private func connected(_ machine: inout ConnectionStateMachine) {
        #expect(machine.connectRequested() == .openChannel(serverIndex: 0))
        #expect(machine.channelOpened() == .none)
        #expect(machine.infoReceived() == .sendConnect)
        #expect(machine.pongReceived() == .connectionEstablished(isReconnect: false))
        #expect(machine.state == .connected(serverIndex: 0, outstandingPings: 0))
    }

    @Test func handshakeWaitsForInfoThenPong() {
        var machine = self.machine()
        self.connected(&machine)
        #expect(machine.connectRequested() == nil, "connect twice is refused")
        #expect(machine.infoReceived() == .none, "a later INFO changes nothing")
    }

    @Test func firstConnectTriesEachServerOnceWithoutWaiting() {
        var machine = self.machine(servers: 3)
        #expect(machine.connectRequested() == .openChannel(serverIndex: 0))
        #expect(machine.channelOpenFailed() == .openChannel(serverIndex: 1))
        #expect(machine.channelOpened() == .none)
        #expect(machine.channelClosed() == .openChannel(serverIndex: 2), "closed before INFO counts as a failure")
        #expect(machine.channelOpenFailed() == .failInitialConnect)
        #expect(machine.state == .idle, "connect() may be retried")
        #expect(machine.connectRequested() == .openChannel(serverIndex: 0))
    }

    @Test func handshakeTimeoutClosesTheChannel() {
        var machine = self.machine()
        _ = machine.connectRequested()
        _ = machine.channelOpened()
        #expect(machine.handshakeTimedOut() == .closeChannel(.handshakeTimeout))
        _ = machine.infoReceived()
        #expect(machine.handshakeTimedOut() == .closeChannel(.handshakeTimeout))
        #expect(machine.channelClosed() == .failInitialConnect)
    }

    @Test func reconnectBacksOffExponentiallyUpToTheCap() {
        var machine = self.machine()
        self.connected(&machine)
        #expect(machine.channelClosed() == .scheduleReconnect(delay: .milliseconds(100)))
        var delays: [Duration] = []
        for _ in 0..<6 {
            #expect(machine.reconnectTimerFired() == .openChannel(serverIndex: 0))
            guard case .scheduleReconnect(let delay) = machine.channelOpenFailed() else {
                Issue.record("expected a scheduled reconnect")
                return
            }
            delays.append(delay)
        }
        #expect(delays == [.milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1), .seconds(1)])
        // Success resets the back-off.
        _ = machine.reconnectTimerFired()
        _ = machine.channelOpened()
        _ = machine.infoReceived()
        #expect(machine.pongReceived() == .connectionEstablished(isReconnect: true))
        #expect(machine.channelClosed() == .scheduleReconnect(delay: .milliseconds(100)))
    }

    @Test func reconnectRotatesThroughServers() {
        var machine = self.machine(servers: 3)
        self.connected(&machine)
        _ = machine.channelClosed()
        #expect(machine.reconnectTimerFired() == .openChannel(serverIndex: 1))
        _ = machine.channelOpenFailed()
        #expect(machine.reconnectTimerFired() == .openChannel(serverIndex: 2))
        _ = machine.channelOpenFailed()
        #expect(machine.reconnectTimerFired() == .openChannel(serverIndex: 0))
    }

    @Test func reconnectGivesUpAfterMaxAttempts() {
        var machine = self.machine(maxAttempts: 2)
        self.connected(&machine)
        _ = machine.channelClosed()
        _ = machine.reconnectTimerFired()
        #expect(machine.channelOpenFailed() == .scheduleReconnect(delay: .milliseconds(200)))
        _ = machine.reconnectTimerFired()
        #expect(machine.channelOpenFailed() == .giveUp)
        #expect(machine.state == .closed)
    }

    @Test func noReconnectWhenDisabled() {
        var machine = self.machine(reconnect: false)
        self.connected(&machine)
        #expect(machine.channelClosed() == .giveUp)
        #expect(machine.state == .closed)
    }

    @Test func unansweredPingsMakeTheConnectionStale() {
        var machine = self.machine(maxOutstandingPings: 2)
        self.connected(&machine)
        #expect(machine.pingTimerFired() == .sendPing)
        #expect(machine.pingTimerFired() == .sendPing)
        #expect(machine.pingTimerFired() == .closeChannel(.staleConnection))
        #expect(machine.channelClosed() == .scheduleReconnect(delay: .milliseconds(100)))
    }

    @Test func pongResetsOutstandingPings() {
        var machine = self.machine(maxOutstandingPings: 1)
        self.connected(&machine)
        for _ in 0..<5 {
            #expect(machine.pingTimerFired() == .sendPing)
            #expect(machine.pongReceived() == .none)
        }
        #expect(machine.state == .connected(serverIndex: 0, outstandingPings: 0))
    }

    @Test func closeInEveryState() {
        var idle = self.machine()
        #expect(idle.closeRequested() == .closed)

        var connecting = self.machine()
        _ = connecting.connectRequested()
        #expect(connecting.closeRequested() == .none, "waits for the TCP connect to finish")
        #expect(connecting.channelOpened() == .closeChannel(.requested))
        #expect(connecting.channelClosed() == .closed)

        var connectingFails = self.machine()
        _ = connectingFails.connectRequested()
        _ = connectingFails.closeRequested()
        #expect(connectingFails.channelOpenFailed() == .closed)

        var connected = self.machine()
        self.connected(&connected)
        #expect(connected.closeRequested() == .closeChannel(.requested))
        #expect(connected.closeRequested() == .none)
        #expect(connected.pingTimerFired() == .none)
        #expect(connected.channelClosed() == .closed)
        #expect(connected.state == .closed)

        var reconnecting = self.machine()
        self.connected(&reconnecting)
        _ = reconnecting.channelClosed()
        #expect(reconnecting.closeRequested() == .closed)
        #expect(reconnecting.reconnectTimerFired() == .none, "a timer that fires late does nothing")
    }
}
