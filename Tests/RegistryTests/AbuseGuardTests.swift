import Synchronization
import XCTest

@testable import Registry
@testable import RegistrySQLite

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let seconds = Mutex<Double>(1000)
    func advance(_ delta: Double) { seconds.withLock { $0 += delta } }
    var clock: AbuseGuard.Clock {
        AbuseGuard.Clock(monotonic: { self.seconds.withLock { $0 } }, wallMillis: { Int64(self.seconds.withLock { $0 } * 1000) })
    }
}

final class AbuseGuardTests: RegistryTestCase {
    func limits(_ body: (inout AbuseLimits) -> Void) -> AbuseLimits {
        var limits = AbuseLimits()
        limits.exemptSources = []
        body(&limits)
        return limits
    }

    func testTokenBucketRefusesOverTheBurstAndRefillsAtTheRate() {
        let time = ManualClock()
        let abuse = AbuseGuard(limits: limits { $0.registrationPerSource = RateLimit(rate: 2, burst: 3) }, clock: time.clock)
        XCTAssertEqual((0..<5).map { _ in abuse.admit(.registration, source: "192.0.2.1") }, [.allowed, .allowed, .allowed, .rateLimited, .rateLimited])
        // Another source has its own bucket; the MQTT gate its own table.
        XCTAssertEqual(abuse.admit(.registration, source: "192.0.2.2"), .allowed)
        XCTAssertEqual(abuse.admit(.mqttConnect, source: "192.0.2.1"), .allowed)
        time.advance(0.5)  // one token at 2/s
        XCTAssertEqual(abuse.admit(.registration, source: "192.0.2.1"), .allowed)
        XCTAssertEqual(abuse.admit(.registration, source: "192.0.2.1"), .rateLimited)
        // IPv4-mapped IPv6 is the same source.
        XCTAssertEqual(abuse.admit(.registration, source: "::ffff:192.0.2.1"), .rateLimited)
    }

    func testUnlimitedAndExemptSourcesAreNeverRefused() {
        var limits = AbuseLimits()
        limits.registrationPerSource = RateLimit(rate: 1, burst: 1)
        limits.connectPerSource = .unlimited
        let abuse = AbuseGuard(limits: limits, clock: ManualClock().clock)
        for _ in 0..<100 {
            XCTAssertEqual(abuse.admit(.mqttConnect, source: "192.0.2.1"), .allowed)
            XCTAssertEqual(abuse.admit(.registration, source: "127.0.0.1"), .allowed)
            XCTAssertFalse(abuse.authenticationFailed(source: "127.0.0.1"))
        }
    }

    func testTheTableIsBoundedForgettingRefilledBucketsFirst() {
        let time = ManualClock()
        let table = TokenBucketTable(limit: RateLimit(rate: 1, burst: 2), capacity: 100, name: "test")
        for i in 0..<1000 { _ = table.take("10.0.\(i / 256).\(i % 256)", now: time.clock.monotonic()) }
        XCTAssertLessThanOrEqual(table.count, 100)
        XCTAssertGreaterThan(table.evictions, 0)
        // Refilled buckets are dropped without counting as evictions.
        time.advance(10)
        let evictions = table.evictions
        for i in 0..<100 { _ = table.take("10.9.0.\(i)", now: time.clock.monotonic()) }
        XCTAssertLessThanOrEqual(table.count, 100)
        XCTAssertEqual(table.evictions, evictions)
    }

    func testAFullTableMakesRoomForAQuarterAtOnceOldestFirst() {
        let time = ManualClock()
        let table = TokenBucketTable(limit: RateLimit(rate: 1, burst: 2), capacity: 100, name: "test")
        for i in 0..<100 {
            _ = table.take("10.0.0.\(i)", now: time.clock.monotonic())
            time.advance(0.001)
        }
        XCTAssertEqual(table.count, 100)
        // Every bucket is in use (1 of 2 tokens left, far from refilled): the oldest go, down to 75, then the new one.
        _ = table.take("10.0.1.0", now: time.clock.monotonic())
        XCTAssertEqual(table.count, 76)
        XCTAssertEqual(table.evictions, 25)
        // The next 24 new sources fit without evicting again.
        for i in 1..<25 { _ = table.take("10.0.1.\(i)", now: time.clock.monotonic()) }
        XCTAssertEqual(table.count, 100)
        XCTAssertEqual(table.evictions, 25)
        // The newest of the first sources kept its bucket (its last token goes, then it is refused); the
        // oldest lost its bucket and gets a fresh burst.
        XCTAssertTrue(table.take("10.0.0.99", now: time.clock.monotonic()))
        XCTAssertFalse(table.take("10.0.0.99", now: time.clock.monotonic()))
        XCTAssertTrue(table.take("10.0.0.0", now: time.clock.monotonic()))
        XCTAssertTrue(table.take("10.0.0.0", now: time.clock.monotonic()))
    }

    func testFailuresWithinTheWindowBanTheSourceUntilTheBanExpires() {
        let time = ManualClock()
        let abuse = AbuseGuard(
            limits: limits {
                $0.banAfterFailures = 3
                $0.banWindowSeconds = 60
                $0.banSeconds = 300
            }, clock: time.clock
        )
        XCTAssertFalse(abuse.authenticationFailed(source: "192.0.2.9"))
        XCTAssertFalse(abuse.authenticationFailed(source: "192.0.2.9"))
        // Outside the window the count starts again.
        time.advance(61)
        XCTAssertFalse(abuse.authenticationFailed(source: "192.0.2.9"))
        XCTAssertFalse(abuse.authenticationFailed(source: "192.0.2.9"))
        XCTAssertEqual(abuse.admit(.mqttConnect, source: "192.0.2.9"), .allowed)
        XCTAssertTrue(abuse.authenticationFailed(source: "192.0.2.9"))
        XCTAssertEqual(abuse.admit(.mqttConnect, source: "192.0.2.9"), .banned)
        XCTAssertEqual(abuse.admit(.registration, source: "192.0.2.9"), .banned)
        XCTAssertEqual(abuse.admit(.registration, source: "192.0.2.10"), .allowed)
        XCTAssertEqual(abuse.activeBans().map(\.address), ["192.0.2.9"])
        XCTAssertEqual(abuse.activeBans().first?.automatic, true)
        time.advance(301)
        XCTAssertEqual(abuse.admit(.mqttConnect, source: "192.0.2.9"), .allowed)
        XCTAssertEqual(abuse.activeBans(), [])
    }

    func testOperatorBansAreStoredAndLoadedAgain() async throws {
        let store = try await openStore()
        let time = ManualClock()
        let abuse = AbuseGuard(limits: limits { _ in }, store: store, clock: time.clock)
        try await abuse.ban("192.0.2.50", seconds: nil, reason: "scanner")
        try await abuse.ban("2001:db8::1", seconds: 60, reason: "temporary")
        XCTAssertEqual(abuse.admit(.mqttConnect, source: "192.0.2.50"), .banned)
        try await store.close()

        let reopened = try await openStore()
        let loaded = try await reopened.loadBans()
        XCTAssertEqual(loaded.map(\.address), ["192.0.2.50", "2001:db8::1"])
        let again = AbuseGuard(limits: limits { _ in }, operatorBans: loaded, store: reopened, clock: time.clock)
        XCTAssertEqual(again.admit(.registration, source: "192.0.2.50"), .banned)
        XCTAssertEqual(again.admit(.registration, source: "2001:db8::1"), .banned)
        time.advance(61)
        XCTAssertEqual(again.admit(.registration, source: "2001:db8::1"), .allowed)
        let removed = try await again.unban("192.0.2.50")
        XCTAssertTrue(removed)
        let removedAgain = try await again.unban("192.0.2.50")
        XCTAssertFalse(removedAgain)
        XCTAssertEqual(again.admit(.registration, source: "192.0.2.50"), .allowed)
        let remaining = try await reopened.loadBans()
        XCTAssertEqual(remaining.map(\.address), ["2001:db8::1"])
        try await reopened.close()
    }

    /// A reload of the operator bans (another node changed them) that overlaps a ban made here keeps that ban: the
    /// store is read again when a local change happened during the read.
    func testABanMadeHereDuringAReloadIsKept() async throws {
        let store = GatedBanStore(inner: try await openStore())
        let abuse = AbuseGuard(limits: limits { _ in }, store: store)
        let reload = Task { try await abuse.reloadOperatorBans() }
        // The reload has read the store (no ban yet) and waits; the ban is made now.
        await store.firstReadDone()
        try await abuse.ban("192.0.2.9", seconds: nil, reason: "scanner")
        store.release()
        try await reload.value
        XCTAssertTrue(abuse.isBanned("192.0.2.9"), "the reload replaced the bans with a read taken before the ban")
        XCTAssertEqual(store.reads, 2)
        // An unban during a reload is not undone by it either.
        let second = GatedBanStore(inner: store.inner)
        let other = AbuseGuard(limits: limits { _ in }, operatorBans: try await store.inner.loadBans(), store: second)
        let again = Task { try await other.reloadOperatorBans() }
        await second.firstReadDone()
        try await other.unban("192.0.2.9")
        second.release()
        try await again.value
        XCTAssertFalse(other.isBanned("192.0.2.9"))
        try await store.inner.close()
    }

    func testDeviceConnectLimit() {
        let abuse = AbuseGuard(limits: limits { $0.connectPerDevice = RateLimit(rate: 0.2, burst: 2) }, clock: ManualClock().clock)
        XCTAssertEqual((0..<3).map { _ in abuse.admitDeviceConnect("ABCDEFGHIJdev") }, [true, true, false])
        XCTAssertTrue(abuse.admitDeviceConnect("ABCDEFGHIJother"))
    }

    func testAddressOfAnAuditSource() {
        XCTAssertEqual(AbuseGuard.address(fromSource: "192.0.2.1:5000"), "192.0.2.1")
        XCTAssertEqual(AbuseGuard.address(fromSource: "[2001:db8::1]:5000"), "2001:db8::1")
        XCTAssertEqual(AbuseGuard.address(fromSource: "[::ffff:192.0.2.1]:5000"), "192.0.2.1")
        XCTAssertEqual(AbuseGuard.address(fromSource: "2001:db8::1"), "2001:db8::1")
        XCTAssertEqual(AbuseGuard.address(fromSource: "unknown"), "unknown")
    }
}

/// A real store whose first `loadBans` returns only when released (after it has read): a reload held mid-way.
final class GatedBanStore: SourceBanStore, Sendable {
    let inner: SQLiteRegistryStore
    private let state = Mutex<(reads: Int, readDone: CheckedContinuation<Void, Never>?, done: Bool, gate: CheckedContinuation<Void, Never>?, released: Bool)>(
        (0, nil, false, nil, false)
    )

    init(inner: SQLiteRegistryStore) { self.inner = inner }

    var reads: Int { state.withLock { $0.reads } }

    func loadBans() async throws -> [SourceBan] {
        let loaded = try await inner.loadBans()
        let first = state.withLock { state -> Bool in
            state.reads += 1
            return state.reads == 1
        }
        guard first else { return loaded }
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.done = true
            defer { state.readDone = nil }
            return state.readDone
        }
        waiter?.resume()
        await withCheckedContinuation { continuation in
            let go = state.withLock { state -> Bool in
                if state.released { return true }
                state.gate = continuation
                return false
            }
            if go { continuation.resume() }
        }
        return loaded
    }

    func firstReadDone() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.done { return true }
                state.readDone = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    func release() {
        let gate = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.released = true
            defer { state.gate = nil }
            return state.gate
        }
        gate?.resume()
    }

    func saveBan(_ ban: SourceBan) async throws { try await inner.saveBan(ban) }
    func deleteBan(address: String) async throws { try await inner.deleteBan(address: address) }
}
