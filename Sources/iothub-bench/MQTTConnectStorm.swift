import NIOCore
import NIOPosix

/// Connect storm: `count` clients connect (at most `concurrency` TCP connects + CONNECT/CONNACK exchanges
/// in flight at a time) and stay connected. Latency is from the start of the TCP connect to the CONNACK;
/// the rate is accepted connections over the time from the first connect to the last CONNACK. Then the
/// connections sit idle for `settle`, the broker's VmRSS is read again, and all are closed.
final class MQTTConnectStorm: MQTTBenchDelegate {
    struct Outcome {
        var connected = 0
        var seconds = 0.0
        var latencies: [UInt64] = []
        var failures: [String: Int] = [:]
        var residentBefore: Int?
        var residentAfter: Int?
    }

    let loop: any EventLoop
    let connector: MQTTBenchConnector
    let packets: [ByteBuffer]
    let concurrency: Int
    let settle: TimeAmount
    let brokerPid: Int32?

    private var next = 0
    private var inFlight = 0
    private var firstStart: UInt64 = 0
    private var lastConnAck: UInt64 = 0
    private var clients: [MQTTBenchClient] = []
    private var outcome = Outcome()
    private var finished = false
    private var openCount = 0
    private var closing = false
    private let done: EventLoopPromise<Outcome>

    init(loop: any EventLoop, connector: MQTTBenchConnector, packets: [ByteBuffer], concurrency: Int, settle: TimeAmount, brokerPid: Int32?) {
        self.loop = loop
        self.connector = connector
        self.packets = packets
        self.concurrency = concurrency
        self.settle = settle
        self.brokerPid = brokerPid
        done = loop.makePromise()
        outcome.latencies.reserveCapacity(packets.count)
    }

    func run() -> EventLoopFuture<Outcome> {
        loop.preconditionInEventLoop()
        outcome.residentBefore = brokerPid.flatMap(ProcessResources.residentBytes(pid:))
        firstStart = LoadDriver.now()
        for _ in 0..<min(concurrency, packets.count) { startNext() }
        return done.futureResult
    }

    private func startNext() {
        guard next < packets.count else {
            if inFlight == 0 { allConnected() }
            return
        }
        let index = next
        next += 1
        inFlight += 1
        let client = MQTTBenchClient(index: index, connectPacket: packets[index], delegate: self)
        client.startedAt = LoadDriver.now()
        clients.append(client)
        connector.connect(on: loop, index: index, client: client).assumeIsolated().whenComplete { result in
            if case .failure(let error) = result {
                self.fail(client, "connect: \(type(of: error))")
            } else {
                self.openCount += 1
            }
        }
    }

    private func fail(_ client: MQTTBenchClient, _ reason: String) {
        guard client.startedAt != 0 else { return }
        client.startedAt = 0
        outcome.failures[reason, default: 0] += 1
        inFlight -= 1
        startNext()
    }

    func connAck(_ client: MQTTBenchClient, returnCode: UInt8) {
        guard client.startedAt != 0 else { return }
        let now = LoadDriver.now()
        if returnCode != 0 {
            fail(client, "CONNACK \(returnCode)")
            client.close()
            return
        }
        outcome.latencies.append(now &- client.startedAt)
        outcome.connected += 1
        lastConnAck = now
        client.startedAt = 0
        inFlight -= 1
        startNext()
    }

    private func allConnected() {
        guard !finished else { return }
        finished = true
        outcome.seconds = Double(lastConnAck &- firstStart) / 1e9
        loop.assumeIsolated().scheduleTask(in: settle) {
            self.outcome.residentAfter = self.brokerPid.flatMap(ProcessResources.residentBytes(pid:))
            self.closeAll()
        }
    }

    private func closeAll() {
        closing = true
        if openCount == 0 { return report() }
        for client in clients { client.close() }
        // Connections that never opened do not report; do not wait for them forever.
        loop.assumeIsolated().scheduleTask(in: .seconds(10)) { self.report() }
    }

    private var reported = false
    private func report() {
        guard !reported else { return }
        reported = true
        clients = []
        done.succeed(outcome)
    }

    func closed(_ client: MQTTBenchClient) {
        openCount -= 1
        if client.startedAt != 0 { fail(client, "closed before CONNACK") }
        if closing, openCount == 0 { report() }
    }

    func subAck(_ client: MQTTBenchClient) {}
    func published(_ client: MQTTBenchClient, payload: ByteBuffer) {}
    func writable(_ client: MQTTBenchClient) {}
}
