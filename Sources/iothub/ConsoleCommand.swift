import ArgumentParser
import Foundation
import HubConsole
import HubServer
import Logging
import Registry

/// `iothub console user …`: the web console's operators, kept in the data directory's registry file. Works
/// on the file directly (no running hub needed, and a running hub sees the change at the next sign-in).
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "The web console (served by `iothub serve` under /console on the management listener).",
        subcommands: [User.self, Audit.self]
    )

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The operator audit trail: every change made in the console (and with `console user`), newest first."
        )
        @Option(help: "Rows to skip.") var offset = 0
        @Option(help: "Rows to show. Default 50.") var limit = 50
        @OptionGroup var data: DataDirectory

        func run() async throws {
            let page = try await data.accounts { try await $0.audit(offset: max(offset, 0), limit: max(limit, 0)) }
            let formatter = ISO8601DateFormatter()
            let rows = page.entries.map { entry in
                [
                    formatter.string(from: Date(timeIntervalSince1970: Double(entry.time) / 1000)), entry.operatorName, entry.action, entry.target,
                    entry.result, entry.source, entry.detail,
                ]
            }
            Output.table(["TIME", "OPERATOR", "ACTION", "TARGET", "RESULT", "SOURCE", "DETAIL"], rows)
            print("\(page.entries.count) of \(page.total) row(s)")
        }
    }

    struct User: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Operators who sign in to the web console. Works on the data directory's registry file directly.",
            subcommands: [Add.self, List.self, Remove.self, Passwd.self]
        )
    }

    struct DataDirectory: ParsableArguments {
        @Option(name: .customLong("data-dir"), help: "The hub's data directory (env IOTHUB_DATA_DIR). Default ./iothub-data.")
        var dataDir: String?

        var path: String { dataDir ?? ProcessInfo.processInfo.environment["IOTHUB_DATA_DIR"] ?? "./iothub-data" }

        func accounts<T: Sendable>(_ body: (OperatorAccounts) async throws -> T) async throws -> T {
            var logger = Logger(label: "iothub")
            logger.logLevel = .warning
            do {
                return try await OperatorAdministration.withAccounts(dataDirectory: path, logger: logger, body)
            } catch let error as ConsoleError {
                throw ValidationError(error.message)
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an operator. The password is read from the terminal (asked twice), or as one line from standard input."
        )
        @Argument(help: "Operator name: 1 to 64 letters, digits or . _ @ -") var name: String
        @Option(help: "admin (changes things) or viewer (sees everything, changes nothing). Default admin.") var role: String = "admin"
        @OptionGroup var data: DataDirectory

        func run() async throws {
            guard let role = ConsoleOperator.Role(rawValue: role) else { throw ValidationError("--role must be admin or viewer") }
            try OperatorAccounts.validate(name: name)
            let password = try PasswordInput.read(confirm: true)
            try await data.accounts { try await $0.add(name: name, role: role, password: password) }
            print("operator \(name) added (\(role.rawValue))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the operators.")
        @OptionGroup var data: DataDirectory

        func run() async throws {
            let operators = try await data.accounts { try await $0.list() }
            let formatter = ISO8601DateFormatter()
            let rows = operators.map { account in
                [account.name, account.role.rawValue, formatter.string(from: Date(timeIntervalSince1970: Double(account.created) / 1000))]
            }
            Output.table(["NAME", "ROLE", "CREATED"], rows)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an operator; their console sessions end at their next request.")
        @Argument var name: String
        @OptionGroup var data: DataDirectory

        func run() async throws {
            try await data.accounts { try await $0.remove(name: name) }
            print("operator \(name) removed")
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set an operator's password (terminal, asked twice, or one line of standard input); their sessions end."
        )
        @Argument var name: String
        @OptionGroup var data: DataDirectory

        func run() async throws {
            let password = try PasswordInput.read(confirm: true)
            try await data.accounts { try await $0.changePassword(name: name, password: password) }
            print("password of \(name) changed")
        }
    }
}

/// A password from the terminal without echo, or one line of standard input when it is not a terminal.
enum PasswordInput {
    static func read(confirm: Bool) throws -> String {
        guard isatty(STDIN_FILENO) == 1 else {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("no password on standard input") }
            return line
        }
        let first = try prompt("Password: ")
        try OperatorAccounts.validate(password: first)
        if confirm, try prompt("Password again: ") != first { throw ValidationError("the passwords differ") }
        return first
    }

    private static func prompt(_ text: String) throws -> String {
        FileHandle.standardError.write(Data(text.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true) else { throw ValidationError("no password given") }
        return line
    }
}
