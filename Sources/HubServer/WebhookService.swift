import CloudAPI
import Foundation
import HubHTTP
import JSONCore
import Logging
import Registry
import ServiceLifecycle
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Forwards device messages and lifecycle events (registered, activated, online, offline) of products with
/// a webhook URL: each event is first written to the durable outbox, then POSTed as JSON, in order per
/// product, at least once, retried with exponential backoff (1 s … 60 s).
///
/// Events reach the outbox through a queue budgeted in bytes that never drops one: device messages (the
/// large and fast events) wait for room, which holds up the device-services task that produces them;
/// lifecycle events come from event-loop callbacks that cannot wait and are admitted over the budget (a
/// few hundred bytes each, one per login or logout, which the connection limits bound). The writer takes
/// everything queued and writes it to the outbox in one transaction.
final class WebhookService: Service, WebhookStatusSource, @unchecked Sendable {
    let registry: RegistryEngine
    let outbox: WebhookOutbox
    let logger: Logger
    /// Events (product id, JSON body) on their way to the outbox.
    let queue: ByteBudgetQueue<(String, String)>
    /// Products with a webhook, refreshed from the registry every second (read on the broker's path).
    let urls = LockedURLs()

    /// Default budget of the queue: 4 MiB.
    static let defaultQueueBytes = 4 * 1024 * 1024

    init(registry: RegistryEngine, outbox: WebhookOutbox, logger: Logger, queueBytes: Int = WebhookService.defaultQueueBytes) {
        self.registry = registry
        self.outbox = outbox
        self.logger = logger
        self.queue = ByteBudgetQueue(budget: queueBytes)
    }

    static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Whether a product forwards its events (called on the broker's hot path: no table copy).
    func forwards(_ productId: String) -> Bool { urls.contains(productId) }

    /// A device message; waits while the queue to the outbox is over its budget.
    func message(productId: String, deviceName: String, topic: String, payload: [UInt8], qos: Int) async {
        guard forwards(productId) else { return }
        let text = String(validating: payload, as: UTF8.self)
        let body = JSONValue.object(JSONObject([
            ("type", .string("message")), ("productId", .string(productId)), ("deviceName", .string(deviceName)), ("topic", .string(topic)),
            ("payload", .string(text ?? Data(payload).base64EncodedString())), ("payloadEncoding", .string(text == nil ? "base64" : "utf8")),
            ("qos", .int(Int64(qos))), ("timestamp", .int(Self.nowMillis())),
        ])).serializedString()
        await queue.send((productId, body), size: body.utf8.count)
    }

    /// A lifecycle event from an event-loop callback (activated, online, offline): never waits, admitted
    /// over the queue's budget.
    func lifecycle(_ event: String, productId: String, deviceName: String, clientIP: String? = nil, time: Int64? = nil) {
        guard forwards(productId) else { return }
        let body = Self.lifecycleBody(event, productId: productId, deviceName: deviceName, clientIP: clientIP, time: time)
        queue.force((productId, body), size: body.utf8.count)
    }

    /// A `registered` event (from the poll task, which waits for room).
    func registered(productId: String, deviceName: String, time: Int64) async {
        guard forwards(productId) else { return }
        let body = Self.lifecycleBody("registered", productId: productId, deviceName: deviceName, clientIP: nil, time: time)
        await queue.send((productId, body), size: body.utf8.count)
    }

    static func lifecycleBody(_ event: String, productId: String, deviceName: String, clientIP: String?, time: Int64?) -> String {
        var fields: [(String, JSONValue)] = [
            ("type", .string("lifecycle")), ("event", .string(event)), ("productId", .string(productId)), ("deviceName", .string(deviceName)),
            ("timestamp", .int(time ?? Self.nowMillis())),
        ]
        if let clientIP { fields.append(("clientIP", .string(clientIP))) }
        return JSONValue.object(JSONObject(fields)).serializedString()
    }

    func status(productId: String) async -> WebhookCounts {
        await outbox.counts(productId: productId)
    }

    func run() async throws {
        urls.set(await registry.webhookURLs())
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.store() }
                group.addTask { await self.poll() }
                group.addTask { await self.deliver() }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: { [queue] in
            queue.finish()
        }
        await outbox.close()
    }

    /// Writes queued events to the outbox: everything queued at the moment in one transaction. A failed
    /// write (disk full, I/O error) is retried with backoff, holding the batch; meanwhile the queue fills and
    /// its producers wait. Only when the hub stops during a failure are the batch's events given up (logged).
    func store() async {
        while let first = await queue.next() {
            var batch = [first]
            while batch.count < 1000, let next = queue.take() { batch.append(next) }
            var delay = Duration.milliseconds(50)
            while true {
                do {
                    try await outbox.append(batch)
                    break
                } catch {
                    if queue.isFinished {
                        logger.error(
                            "webhook outbox write failed while stopping; events lost",
                            metadata: ["error": "\(error)", "hub.events": "\(batch.count)"]
                        )
                        break
                    }
                    logger.error(
                        "webhook outbox write failed; retrying",
                        metadata: ["error": "\(error)", "hub.events": "\(batch.count)", "hub.retry_in": "\(delay)"]
                    )
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(2))
                }
            }
        }
    }

    /// Refreshes the URL table and turns new registrations (from the audit log) into `registered` events.
    private func poll() async {
        var since = Self.nowMillis()
        var seen: Set<String> = []
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            urls.set(await registry.webhookURLs())
            guard let page = try? await registry.auditLog(AuditQuery(accepted: true, reason: RegistrationAttempt.reasonRegistered, since: since, limit: 1000)) else {
                continue
            }
            var newest = since
            var seenNow: Set<String> = []
            for attempt in page.attempts.reversed() {
                let key = "\(attempt.time)/\(attempt.productId)/\(attempt.deviceName)"
                seenNow.insert(key)
                newest = max(newest, attempt.time)
                if !seen.contains(key) {
                    await registered(productId: attempt.productId, deviceName: attempt.deviceName, time: attempt.time)
                }
            }
            seen = seenNow
            since = newest
        }
    }

    /// POSTs pending events, oldest first; a failing product waits (backoff) and keeps its order.
    private func deliver() async {
        var retryAt: [String: Date] = [:]
        var backoff: [String: Double] = [:]
        while !Task.isCancelled {
            let entries = (try? await outbox.oldest(limit: 200)) ?? []
            let table = urls.get()
            var blocked: Set<String> = []
            var progressed = false
            for entry in entries {
                if blocked.contains(entry.productId) { continue }
                if let until = retryAt[entry.productId], until > Date() {
                    blocked.insert(entry.productId)
                    continue
                }
                guard let url = table[entry.productId].flatMap(URL.init(string:)) else {
                    blocked.insert(entry.productId)
                    continue
                }
                if await post(entry.body, to: url) {
                    try? await outbox.markDelivered(entry)
                    backoff[entry.productId] = nil
                    retryAt[entry.productId] = nil
                    progressed = true
                } else {
                    await outbox.markFailed(entry)
                    let delay = min((backoff[entry.productId] ?? 0.5) * 2, 60)
                    backoff[entry.productId] = delay
                    retryAt[entry.productId] = Date().addingTimeInterval(delay)
                    blocked.insert(entry.productId)
                    logger.notice("webhook delivery failed; retrying", metadata: ["hub.product_id": "\(entry.productId)", "hub.retry_in_s": "\(delay)"])
                }
            }
            if !progressed { try? await Task.sleep(for: .milliseconds(200)) }
        }
    }

    private func post(_ body: String, to url: URL) async -> Bool {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("IoTHub-Webhook/1", forHTTPHeaderField: "User-Agent")
        request.timeoutInterval = 5
        guard let (_, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else { return false }
        return (200..<300).contains(http.statusCode)
    }
}

/// A lock-protected table of webhook URLs by product.
final class LockedURLs: @unchecked Sendable {
    private let lock = NSLock()
    private var table: [String: String] = [:]

    func get() -> [String: String] {
        lock.lock()
        defer { lock.unlock() }
        return table
    }

    func contains(_ productId: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return table[productId] != nil
    }

    func set(_ value: [String: String]) {
        lock.lock()
        table = value
        lock.unlock()
    }
}
