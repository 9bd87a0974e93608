import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// CPU time (user + system) of a process, from `/proc/<pid>/stat` (Linux only; `nil` elsewhere).
///
/// On a shared 2-core machine wall-clock rates move with whatever else runs; CPU time per request moves
/// only with the code, so results carry both.
enum ProcessCPU {
    static func seconds(pid: Int32) -> Double? {
        #if os(Linux)
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name start at field 3 (state); utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
        #else
        return nil
        #endif
    }

    static func ownSeconds() -> Double? {
        seconds(pid: getpid())
    }
}
