import Foundation
import Synchronization
import XCTest

@testable import HubConsole

/// The console's parts on their own, with a clock the test moves (no sleeping).
final class ConsolePartsTests: XCTestCase {
    final class TestClock: Sendable {
        private let time = Mutex<Double>(1000)
        var now: @Sendable () -> Double { { [self] in time.withLock { $0 } } }
        func advance(_ seconds: Double) { time.withLock { $0 += seconds } }
    }

    func testFormBodyDecodesLikeABrowserEncodes() {
        let form = FormBody(Array("name=a+b%2Bc&x=%E2%9C%93&empty=&flag&bad=%zz%4&name=second".utf8))
        XCTAssertEqual(form["name"], "a b+c", "the first of repeated names wins")
        XCTAssertEqual(form["x"], "✓")
        XCTAssertEqual(form["empty"], "")
        XCTAssertTrue(form.checked("flag"))
        XCTAssertFalse(form.checked("missing"))
        XCTAssertEqual(form["bad"], "%zz%4", "malformed escapes are kept as they are")
        XCTAssertEqual(FormBody.encode("a b/<c>"), "a%20b%2F%3Cc%3E")
    }

    func testTokensAre256RandomBitsInURLSafeBase64() {
        let tokens = (0..<100).map { _ in RandomToken.make() }
        XCTAssertEqual(Set(tokens).count, 100)
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for token in tokens {
            XCTAssertEqual(token.count, 43)
            XCTAssertTrue(token.allSatisfy(alphabet.contains), token)
        }
        XCTAssertEqual(RandomToken.base64URL(Array("any carnal pleas".utf8)), "YW55IGNhcm5hbCBwbGVhcw")
        XCTAssertEqual(RandomToken.base64URL([0xFB, 0xFF]), "-_8")
    }

    func testSessionsEndWhenIdleAndTheTableIsBounded() {
        let clock = TestClock()
        let sessions = ConsoleSessions(idleSeconds: 60, capacity: 3, now: clock.now)
        let first = sessions.create(operatorName: "a", signedInMillis: 0)
        XCTAssertNotEqual(first.id, first.csrfToken)
        clock.advance(60)
        XCTAssertNotNil(sessions.touch(first.id), "exactly the idle time is still alive, and touching renews it")
        clock.advance(59)
        XCTAssertNotNil(sessions.touch(first.id))
        clock.advance(61)
        XCTAssertNil(sessions.touch(first.id), "idle longer than the limit")
        XCTAssertEqual(sessions.count, 0, "an idle session found is removed")

        // Full: the least recently used goes.
        let a = sessions.create(operatorName: "a", signedInMillis: 0)
        clock.advance(1)
        let b = sessions.create(operatorName: "b", signedInMillis: 0)
        clock.advance(1)
        let c = sessions.create(operatorName: "c", signedInMillis: 0)
        clock.advance(1)
        XCTAssertNotNil(sessions.touch(a.id))
        let d = sessions.create(operatorName: "d", signedInMillis: 0)
        XCTAssertEqual(sessions.count, 3)
        XCTAssertNil(sessions.touch(b.id))
        for session in [a, c, d] { XCTAssertNotNil(sessions.touch(session.id), session.operatorName) }
        sessions.end(a.id)
        XCTAssertNil(sessions.touch(a.id))
    }

    func testSignInThrottleWindow() {
        let clock = TestClock()
        let throttle = SignInThrottle(maxPerUser: 2, maxPerSource: 3, windowSeconds: 100, now: clock.now)
        XCTAssertNil(throttle.begin(user: "alice", source: "192.0.2.1"))
        clock.advance(10)
        XCTAssertNil(throttle.begin(user: "alice", source: "192.0.2.1"))
        // Two attempts counted for alice: locked until 100 s after the first.
        XCTAssertEqual(throttle.begin(user: "alice", source: "192.0.2.2"), 90)
        // A right password gives the source its attempt back and clears the name.
        XCTAssertNil(throttle.begin(user: "bob", source: "192.0.2.1"))
        throttle.succeeded(user: "bob", source: "192.0.2.1")
        XCTAssertNil(throttle.begin(user: "carol", source: "192.0.2.1"), "the source has 3 counted, bob's given back")
        XCTAssertNotNil(throttle.begin(user: "dave", source: "192.0.2.1"), "now 3 failures from the address")
        clock.advance(90)
        XCTAssertNil(throttle.begin(user: "alice", source: "192.0.2.3"), "the window ended")

        let unlimited = SignInThrottle(maxPerUser: 0, maxPerSource: 0, windowSeconds: 100, now: clock.now)
        for _ in 0..<50 { XCTAssertNil(unlimited.begin(user: "x", source: "y")) }
    }

    func testTemplatesWriteUnescapedOnlyTheRenderedBody() {
        let templates = [
            ConsoleTemplates.layout, ConsoleTemplates.signIn, ConsoleTemplates.products, ConsoleTemplates.product, ConsoleTemplates.devices,
            ConsoleTemplates.deviceCreated, ConsoleTemplates.audit, ConsoleTemplates.message, ConsoleTemplates.confirm,
            ConsoleTemplates.registrations,
        ]
        let raw = templates.flatMap { $0.components(separatedBy: "{{{").dropFirst().map { String($0.prefix { $0 != "}" }) } }
        XCTAssertEqual(raw, ["body"])
        XCTAssertFalse(templates.contains { $0.contains("{{&") }, "no unescaped `&` tags either")
    }

    func testRenderingEscapes() throws {
        let pages = try ConsolePages()
        let html = pages.fragment("message", ["message": "<script>alert(1)</script>", "back": "\"><img src=x onerror=alert(1)>"])
        XCTAssertFalse(html.contains("<script>"))
        XCTAssertFalse(html.contains("<img"))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), html)
        XCTAssertTrue(html.contains("&quot;&gt;&lt;img"), html)
    }
}
