import DeviceAuth
import Foundation
import MQTTCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// The kinds of flood request (issue 12's "Found" list, tried as an attacker would).
enum FloodKind: String, CaseIterable, Sendable {
    /// MQTT CONNECT with a device's (or an unknown device's) ClientId and username and a wrong password;
    /// waits for the CONNACK, then a new connection.
    case badConnect = "wrong-password CONNECT"
    /// `POST /device/register` signed with a wrong ProductSecret, on keep-alive connections.
    case badRegistration = "wrong-signature registration"
    /// An HTTP request whose headers are trickled one line at a time and never finished.
    case slowloris
    /// `POST` with a body of several MB and `Connection: close` to the device port (`/device/register`,
    /// `/health`) and the management API; the connection is closed once answered.
    case oversize = "oversize body"
    /// Bytes that are not a CONNECT as the first MQTT packet (a PUBLISH header and its body), then held open.
    case garbage = "non-CONNECT garbage"

    /// Kinds whose sockets are held open until the hub closes them or the flood ends.
    var holds: Bool { self == .slowloris || self == .garbage }
}

/// What the flood sends, and how much of it.
struct FloodPlan: Sendable {
    struct Limit: Sendable {
        /// Connections of this kind open at a time.
        var concurrency: Int
        /// Most requests (connections for the kinds that hold them) over the whole flood.
        var count: Int
    }

    var host: String
    var mqttPort: Int
    var httpPort: Int
    var apiPort: Int?
    /// Loopback source addresses the flood's sockets bind to, in turn.
    var sources: [String]
    var limits: [FloodKind: Limit]
    /// Wrong-password CONNECT packets (device names of the product, some of them real devices).
    var connects: [ByteBuffer]
    /// Wrong-signature registration requests.
    var registrations: [PreparedRequest]
    var oversizeBytes: Int
    var garbageBytes: Int
    var trickleInterval: TimeAmount
    /// Requests per second of the paced kinds (wrong-password CONNECTs, wrong-signature registrations): an
    /// open-loop flood at a fixed offered rate, within the kind's concurrency. A kind not named here is a
    /// closed loop: each connection sends again as soon as it is answered.
    var rates: [FloodKind: Double] = [:]
    /// Longest wait for an answer to one request.
    var timeout: TimeAmount = .seconds(10)

    /// Builds the requests: `names` are device names to try CONNECTs with (real ones and made-up ones).
    static func requests(productId: String, names: [String], host: String, httpPort: Int, count: Int)
        -> (connects: [ByteBuffer], registrations: [PreparedRequest])
    {
        var random = SystemRandomNumberGenerator()
        let connects = (0..<count).map { index -> ByteBuffer in
            let name = names[index % names.count]
            var connect = MQTTConnect(version: .v3_1_1, cleanSession: true, keepAlive: 60, clientId: productId + name)
            connect.username = DeviceUsername.make(productId: productId, deviceName: name, expiry: .at(UInt64(Date.now.timeIntervalSince1970) + 86_400))
            connect.password = Array(String(repeating: "0", count: 64).utf8)
            return MQTTPacketEncoder.encode(.connect(connect), version: .v3_1_1)
        }
        let wrongSecret = String(UInt64.random(in: 0...UInt64.max, using: &random), radix: 36) + "AAAAAAAAAAAAAAAA"
        let timestamp = String(Int(Date.now.timeIntervalSince1970))
        let base = benchHeaders(host: host, port: httpPort) + [("Content-Type", "application/json; charset=utf-8")]
        let registrations = (0..<count).map { index -> PreparedRequest in
            let body = Array(RegistrationWire.v2RequestBody(productId: productId, deviceName: "flood-\(index)").utf8)
            let signed = V2RegistrationHeaders(
                signing: body, host: host, algorithm: .hmacSHA256, timestamp: timestamp,
                nonce: String(UInt32.random(in: 1..<UInt32(Int32.max), using: &random)), productSecret: wrongSecret
            )
            return PreparedRequest(method: .POST, uri: V2RegistrationSignature.path, headers: base + signed.fields.map { ($0.name, $0.value) }, body: body)
        }
        return (connects, registrations)
    }
}

/// Runs the flood on one event loop (every method runs there): keeps each kind's connections open up to
/// its concurrency until its count is spent or `stop` is called, and records what every request got back.
final class FloodAttack {
    let loop: any EventLoop
    let plan: FloodPlan
    private var running = false
    private var attempts: [FloodKind: Int] = [:]
    private var active: [FloodKind: Int] = [:]
    private var outcomes: [FloodKind: [String: Int]] = [:]
    private var held: [FloodKind: [Double]] = [:]
    private var live: [ObjectIdentifier: FloodConnection] = [:]
    private var launched = 0
    private var nextConnect = 0
    private var nextRegistration = 0
    private var nextOversize = 0
    /// Requests each paced kind may send now (refilled by `pace` at its rate, at most 20 ms' worth).
    private var credit: [FloodKind: Double] = [:]
    /// Keep-alive registration connections waiting for credit to send their next request.
    private var waiting: [FloodConnection] = []
    private var pacer: RepeatedTask?
    private var pacedAt: UInt64 = 0
    /// One shared body for every oversize request (written without copying).
    private let oversizeBody: ByteBuffer
    private let garbage: ByteBuffer

    init(loop: any EventLoop, plan: FloodPlan) {
        self.loop = loop
        self.plan = plan
        oversizeBody = ByteBuffer(repeating: UInt8(ascii: "x"), count: plan.oversizeBytes)
        // A PUBLISH (type 3) header announcing `garbageBytes`, then that many bytes: a first packet that is
        // not CONNECT, as large as the hub lets a packet be.
        var garbage = ByteBuffer()
        garbage.writeInteger(UInt8(0x30))
        var remaining = plan.garbageBytes
        repeat {
            var byte = UInt8(remaining & 0x7F)
            remaining >>= 7
            if remaining > 0 { byte |= 0x80 }
            garbage.writeInteger(byte)
        } while remaining > 0
        garbage.writeRepeatingByte(0x41, count: plan.garbageBytes)
        self.garbage = garbage
    }

    func start() {
        loop.preconditionInEventLoop()
        running = true
        if !plan.rates.isEmpty {
            pacedAt = LoadDriver.now()
            let bound = NIOLoopBound(self, eventLoop: loop)
            pacer = loop.scheduleRepeatedTask(initialDelay: .milliseconds(2), delay: .milliseconds(2)) { _ in bound.value.pace() }
        }
        for kind in FloodKind.allCases { fill(kind) }
    }

    /// Adds the credit earned since the last tick, then spends it: registrations on waiting keep-alive
    /// connections first, then new connections.
    private func pace() {
        let now = LoadDriver.now()
        let elapsed = Double(now - pacedAt) / 1e9
        pacedAt = now
        for (kind, rate) in plan.rates {
            credit[kind] = min(credit[kind, default: 0] + rate * elapsed, max(1, rate * 0.02))
        }
        while running, !waiting.isEmpty, let next = nextRegistrationRequest() {
            let connection = waiting.removeFirst()
            connection.send(next)
        }
        for kind in plan.rates.keys { fill(kind) }
    }

    /// Spends one request of `kind`'s credit; always true for a closed-loop kind.
    private func spend(_ kind: FloodKind) -> Bool {
        guard plan.rates[kind] != nil else { return true }
        guard credit[kind, default: 0] >= 1 else { return false }
        credit[kind, default: 0] -= 1
        return true
    }

    private func hasCredit(_ kind: FloodKind) -> Bool {
        plan.rates[kind] == nil || credit[kind, default: 0] >= 1
    }

    /// Stops launching, closes every flood connection and returns what each kind got.
    func stop() -> EventLoopFuture<[FloodSummary.Attack]> {
        loop.preconditionInEventLoop()
        running = false
        pacer?.cancel()
        waiting.removeAll()
        for connection in live.values {
            connection.ended(outcome: connection.kind.holds ? "still open at flood end" : "no answer by flood end")
            connection.close()
        }
        let promise = loop.makePromise(of: [FloodSummary.Attack].self)
        loop.assumeIsolated().scheduleTask(in: .milliseconds(300)) {
            promise.succeed(FloodKind.allCases.map { kind in
                let times = (self.held[kind] ?? []).sorted()
                return FloodSummary.Attack(
                    kind: kind.rawValue, attempts: self.attempts[kind] ?? 0, outcomes: self.outcomes[kind] ?? [:],
                    medianHeldSeconds: times.isEmpty ? nil : times[times.count / 2]
                )
            })
        }
        return promise.futureResult
    }

    private func limit(_ kind: FloodKind) -> FloodPlan.Limit { plan.limits[kind] ?? .init(concurrency: 0, count: 0) }

    /// Opens connections of `kind` up to its concurrency while its count lasts.
    private func fill(_ kind: FloodKind) {
        while running, active[kind, default: 0] < limit(kind).concurrency, attempts[kind, default: 0] < limit(kind).count {
            // A paced CONNECT spends its credit when launched; a paced registration connection opens with
            // credit in hand and spends it on its first request.
            if kind == .badRegistration ? !hasCredit(kind) : !spend(kind) { return }
            launch(kind)
        }
    }

    private func launch(_ kind: FloodKind) {
        active[kind, default: 0] += 1
        // Request kinds count a request when it is sent; held sockets count when opened.
        if kind.holds || kind == .oversize || kind == .badConnect { attempts[kind, default: 0] += 1 }
        let port: Int
        var target = 0
        switch kind {
        case .badConnect, .garbage: port = plan.mqttPort
        case .badRegistration, .slowloris: port = plan.httpPort
        case .oversize:
            target = nextOversize % (plan.apiPort == nil ? 2 : 3)
            nextOversize += 1
            port = target == 2 ? plan.apiPort! : plan.httpPort
        }
        let connection = FloodConnection(kind: kind, target: target, attack: self)
        let bound = NIOLoopBound(connection, eventLoop: loop)
        let source = plan.sources[launched % plan.sources.count]
        launched += 1
        live[ObjectIdentifier(connection)] = connection
        do {
            try BenchSockets.bootstrap(on: loop, source: source, connectTimeout: plan.timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(bound.value) }
                }
                .connect(host: plan.host, port: port)
                .assumeIsolated().whenFailure { error in
                    connection.ended(outcome: BenchSockets.failureName(error))
                    self.finished(connection, retryAfter: .milliseconds(20))
                }
        } catch {
            connection.ended(outcome: "socket: \(error)")
            finished(connection, retryAfter: .milliseconds(20))
        }
    }

    fileprivate func record(_ kind: FloodKind, _ outcome: String, heldSeconds: Double?) {
        outcomes[kind, default: [:]][outcome, default: 0] += 1
        if let heldSeconds { held[kind, default: []].append(heldSeconds) }
    }

    /// A connection is gone; another takes its place (after `retryAfter` if it never connected, so that a
    /// refusing hub does not make the flood spin).
    fileprivate func finished(_ connection: FloodConnection, retryAfter: TimeAmount? = nil) {
        guard live.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return }
        active[connection.kind, default: 0] -= 1
        waiting.removeAll { $0 === connection }
        guard running else { return }
        if let retryAfter {
            loop.assumeIsolated().scheduleTask(in: retryAfter) { self.fill(connection.kind) }
        } else {
            loop.assumeIsolated().execute { self.fill(connection.kind) }
        }
    }

    // MARK: What each kind sends

    /// The first bytes of a connection.
    fileprivate func opening(_ connection: FloodConnection) -> ByteBuffer? {
        switch connection.kind {
        case .badConnect:
            nextConnect += 1
            return plan.connects[nextConnect % plan.connects.count]
        case .badRegistration:
            return nil  // sent by `begin` through `next(after:)`, which paces it
        case .slowloris:
            return ByteBuffer(string: "POST /device/register HTTP/1.1\r\nHost: \(plan.host):\(plan.httpPort)\r\n")
        case .oversize:
            let (path, port) = connection.target == 0 ? ("/device/register", plan.httpPort)
                : connection.target == 1 ? ("/health", plan.httpPort) : ("/", plan.apiPort ?? 0)
            var head = ByteBuffer(string: "POST \(path) HTTP/1.1\r\nHost: \(plan.host):\(port)\r\nContent-Type: application/json\r\n")
            head.writeString("Content-Length: \(plan.oversizeBytes)\r\nConnection: close\r\n\r\n")
            return head
        case .garbage:
            return garbage
        }
    }

    /// What follows the opening: the oversize body.
    fileprivate func body(_ connection: FloodConnection) -> ByteBuffer? {
        connection.kind == .oversize ? oversizeBody : nil
    }

    /// The next wrong-signature registration, if the count (and, when paced, the credit) allows another.
    fileprivate func nextRegistrationRequest() -> ByteBuffer? {
        guard running, registrationsLeft, spend(.badRegistration) else { return nil }
        attempts[.badRegistration, default: 0] += 1
        nextRegistration += 1
        return plan.registrations[nextRegistration % plan.registrations.count].bytes
    }

    private var registrationsLeft: Bool { attempts[.badRegistration, default: 0] < limit(.badRegistration).count }

    /// What a keep-alive registration connection does after an answer: send the next request now, wait for
    /// credit (`send` follows), or stop.
    fileprivate enum Next {
        case send(ByteBuffer)
        case wait
        case done
    }

    fileprivate func next(after connection: FloodConnection) -> Next {
        if let request = nextRegistrationRequest() { return .send(request) }
        guard running, registrationsLeft, plan.rates[.badRegistration] != nil else { return .done }
        waiting.append(connection)
        return .wait
    }

    fileprivate var isRunning: Bool { running }
}

/// One flood socket: sends what `FloodAttack` gives it and reads what the hub answers (a CONNACK, or an
/// HTTP response parsed just enough to know its status, its error code and where it ends).
final class FloodConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let kind: FloodKind
    let target: Int
    private let attack: FloodAttack
    private var context: ChannelHandlerContext?
    private var received = ByteBuffer()
    private var openedAt: UInt64 = 0
    /// Something the hub said to garbage.
    private var answered = false
    /// A request is out and its answer not in.
    private var awaiting = false
    private var done = false
    private var trickle: RepeatedTask?
    private var timeout: Scheduled<Void>?
    private var trickled = 0

    init(kind: FloodKind, target: Int, attack: FloodAttack) {
        self.kind = kind
        self.target = target
        self.attack = attack
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { begin(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        begin(context: context)
        context.fireChannelActive()
    }

    private func begin(context: ChannelHandlerContext) {
        guard openedAt == 0 else { return }
        openedAt = LoadDriver.now()
        // Connected after the flood stopped: nothing to send.
        guard !done, attack.isRunning else { return close() }
        if kind == .badRegistration {
            switch attack.next(after: self) {
            case .send(let request): send(request)
            case .wait: break
            case .done: close()
            }
            return
        }
        guard let opening = attack.opening(self) else { return close() }
        context.write(wrapOutboundOut(opening), promise: nil)
        if let body = attack.body(self) { context.write(wrapOutboundOut(body), promise: nil) }
        context.flush()
        switch kind {
        case .slowloris:
            let interval = attack.plan.trickleInterval
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            trickle = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in bound.value.trickleLine() }
        case .garbage:
            break
        case .badConnect, .badRegistration, .oversize:
            awaiting = true
            armTimeout()
        }
    }

    /// Sends a registration request on this keep-alive connection.
    func send(_ request: ByteBuffer) {
        awaiting = true
        armTimeout()
        context?.writeAndFlush(wrapOutboundOut(request), promise: nil)
    }

    /// One more header line of a slowloris request.
    private func trickleLine() {
        trickled += 1
        context?.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "X-Trickle-\(trickled): \(trickled)\r\n")), promise: nil)
    }

    private func armTimeout() {
        timeout?.cancel()
        guard let loop = context?.eventLoop else { return }
        let seconds = attack.plan.timeout.nanoseconds / 1_000_000_000
        timeout = loop.assumeIsolated().scheduleTask(in: attack.plan.timeout) {
            self.ended(outcome: "no answer in \(seconds) s")
            self.close()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if received.readableBytes < 1 << 16 { received.writeBuffer(&bytes) }
        switch kind {
        case .badConnect:
            guard let first = received.getInteger(at: received.readerIndex, as: UInt8.self), received.readableBytes >= 4 else { return }
            if first == 0x20, let code = received.getInteger(at: received.readerIndex + 3, as: UInt8.self) {
                ended(outcome: code == 0 ? "CONNACK 0 (accepted)" : "CONNACK \(code)")
            } else {
                ended(outcome: "reply is not a CONNACK")
            }
            close()
        case .garbage:
            // Anything the hub says to garbage is its refusal; the socket stays until the hub closes it.
            if !answered {
                answered = true
                attack.record(kind, "answered with \(received.readableBytes) bytes", heldSeconds: nil)
            }
        case .badRegistration, .slowloris, .oversize:
            while let response = HTTPResponseScan(received) {
                received.moveReaderIndex(forwardBy: response.length)
                awaiting = false
                if kind == .badRegistration {
                    attack.record(kind, response.outcome, heldSeconds: nil)
                    if !response.closes {
                        switch attack.next(after: self) {
                        case .send(let next):
                            send(next)
                            continue
                        case .wait:
                            return
                        case .done:
                            break
                        }
                    }
                    done = true
                } else {
                    ended(outcome: response.outcome)
                }
                close()
                return
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        trickle?.cancel()
        timeout?.cancel()
        if kind.holds {
            ended(outcome: "closed by the hub")
        } else if awaiting {
            ended(outcome: "closed by the hub before an answer")
        }
        done = true
        attack.finished(self)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Records the connection's outcome once.
    func ended(outcome: String) {
        guard !done else { return }
        done = true
        let held = kind.holds && openedAt > 0 ? Double(LoadDriver.now() - openedAt) / 1e9 : nil
        attack.record(kind, outcome, heldSeconds: outcome == "closed by the hub" ? held : nil)
    }

    func close() {
        trickle?.cancel()
        timeout?.cancel()
        context?.close(promise: nil)
    }
}

/// The first complete HTTP/1.1 response at the start of a buffer: its length, status, error code
/// (`"Code":"…"` in the body, as Tencent's envelopes carry it) and whether it closes the connection.
struct HTTPResponseScan {
    var length: Int
    var status: Int
    var code: String?
    var closes: Bool

    var outcome: String { "HTTP \(status)" + (code.map { " \($0)" } ?? "") }

    init?(_ buffer: ByteBuffer) {
        let view = buffer.readableBytesView
        guard let headEnd = Self.find(Array("\r\n\r\n".utf8), in: view) else { return nil }
        let head = String(decoding: view[view.startIndex..<(view.startIndex + headEnd)], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1."), statusLine.count >= 12,
            let status = Int(statusLine.dropFirst(9).prefix(3))
        else { return nil }
        var contentLength = 0
        var closes = statusLine.hasPrefix("HTTP/1.0")
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].lowercased()
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { contentLength = Int(value) ?? 0 }
            if name == "connection" { closes = value.lowercased() == "close" }
        }
        let length = headEnd + 4 + contentLength
        guard view.count >= length else { return nil }
        let body = String(decoding: view[(view.startIndex + headEnd + 4)..<(view.startIndex + length)], as: UTF8.self)
        if let range = body.range(of: #""Code":""#), let end = body[range.upperBound...].firstIndex(of: "\"") {
            code = String(body[range.upperBound..<end])
        }
        self.length = length
        self.status = status
        self.closes = closes
    }

    private static func find(_ needle: [UInt8], in view: ByteBufferView) -> Int? {
        guard view.count >= needle.count else { return nil }
        var index = view.startIndex
        while index <= view.endIndex - needle.count {
            if view[index] == needle[0], view[index..<(index + needle.count)].elementsEqual(needle) { return index - view.startIndex }
            index += 1
        }
        return nil
    }
}
