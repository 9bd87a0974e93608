import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fleet's live progress on standard error: redrawn in place with `\r` on a terminal, one line every
/// few seconds otherwise (logs, CI, pipes).
struct ProgressBar {
    let total: Int
    let recorder: FleetRecorder
    let interactive = isatty(STDERR_FILENO) == 1
    var width = 30

    init(total: Int, recorder: FleetRecorder) {
        self.total = total
        self.recorder = recorder
    }

    /// Draws until the task is cancelled, then clears the line it drew on.
    func run(started: ContinuousClock.Instant) async {
        let period: Duration = interactive ? .milliseconds(200) : .seconds(5)
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: period)
            } catch {
                break
            }
            draw(started: started)
        }
        if interactive { write("\r\u{1B}[K") }
    }

    func line(started: ContinuousClock.Instant) -> String {
        let state = recorder.snapshot
        let done = state.finished
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let elapsed = (ContinuousClock.now - started).seconds
        return "[\(bar)] \(done)/\(total) units  registered \(state.registered)  reused \(state.reused)  connected \(state.connected)"
            + "  messages \(state.messages)  failed \(state.failedUnits)  \(String(format: "%.1f", elapsed)) s"
    }

    func draw(started: ContinuousClock.Instant) {
        if interactive {
            write("\r\u{1B}[K" + line(started: started))
        } else {
            write(line(started: started) + "\n")
        }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
