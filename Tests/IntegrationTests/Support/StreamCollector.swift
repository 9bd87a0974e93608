import Foundation
import NIOConcurrencyHelpers

/// Reads an AsyncStream in the background and keeps what arrives, so a test can wait for an element that
/// matches (with a generous timeout that only catches something missing, never a timing threshold).
final class StreamCollector<Element: Sendable>: Sendable {
    private let state = NIOLockedValueBox<[Element]>([])
    private let reader: Task<Void, Never>

    init(_ stream: AsyncStream<Element>) {
        let state = state
        reader = Task {
            for await element in stream {
                state.withLockedValue { $0.append(element) }
            }
        }
    }

    deinit {
        reader.cancel()
    }

    var all: [Element] { state.withLockedValue { $0 } }

    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    /// Waits until an element matching `predicate` has arrived and takes it (and everything before it) out.
    @discardableResult
    func next(timeout: Double = 10, where predicate: @escaping @Sendable (Element) -> Bool = { _ in true }) async throws -> Element {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let found = state.withLockedValue { elements -> Element? in
                guard let index = elements.firstIndex(where: predicate) else { return nil }
                let element = elements[index]
                elements.removeSubrange(0...index)
                return element
            }
            if let found { return found }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw Timeout(description: "no matching element within \(timeout) s; have \(all)")
    }
}
