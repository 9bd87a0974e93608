import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM as an async stream of signal names (the default handlers are replaced, so the
/// process can disconnect cleanly before it exits). A second signal exits at once.
final class SignalWatcher: @unchecked Sendable {
    let signals: AsyncStream<String>
    private let sources: [any DispatchSourceSignal]

    init(_ numbers: [Int32] = [SIGINT, SIGTERM]) {
        let (stream, sink) = AsyncStream.makeStream(of: String.self)
        signals = stream
        let received = Counter()
        sources = numbers.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let name = number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)"
            source.setEventHandler {
                if received.increment() > 1 { exit(128 + number) }
                sink.yield(name)
            }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }

    private final class Counter: Sendable {
        private let value = Atomic<Int>(0)

        func increment() -> Int {
            value.add(1, ordering: .relaxed).newValue
        }
    }
}
