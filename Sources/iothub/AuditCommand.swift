import ArgumentParser
import CloudAPI
import Foundation
import JSONCore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the dynamic-registration audit log, newest first (COUNT > 1: a flood of refusals from one source counted into one row)."
    )

    enum Outcome: String, ExpressibleByArgument, CaseIterable { case success, failure }

    @OptionGroup var api: APIOptions
    @Option(name: .customLong("product"), help: "Only this ProductId.") var productId: String?
    @Option(name: .customLong("device"), help: "Only this DeviceName.") var deviceName: String?
    @Option(help: "Only accepted (success) or refused (failure) attempts.") var result: Outcome?
    @Option(help: "Only this reason code, e.g. signature_mismatch.") var reason: String?
    @Option var offset = 0
    @Option var limit = 50

    func run() async throws {
        var parameters: [(String, JSONValue)] = [("Offset", .int(Int64(offset))), ("Limit", .int(Int64(limit)))]
        if let productId { parameters.append(("ProductId", .string(productId))) }
        if let deviceName { parameters.append(("DeviceName", .string(deviceName))) }
        if let result { parameters.append(("Result", .string(result.rawValue))) }
        if let reason { parameters.append(("Reason", .string(reason))) }
        try await perform {
            let response = try await api.client().call("DescribeRegistrationLogs", parameters)
            if api.json { return Output.json(response) }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let rows = (response["Logs"]?.arrayValue ?? []).map { log -> [String] in
                let ms = log["Time"]?.int64Value ?? 0
                return [
                    formatter.string(from: Date(timeIntervalSince1970: TimeInterval(ms) / 1000)),
                    Output.text(log["ProductId"]), Output.text(log["DeviceName"]), Output.text(log["Endpoint"]),
                    Output.text(log["Result"]), Output.text(log["Reason"]), Output.text(log["SourceAddress"]), Output.text(log["Count"]),
                ]
            }
            Output.table(["TIME", "PRODUCT", "DEVICE", "ENDPOINT", "RESULT", "REASON", "SOURCE", "COUNT"], rows)
            print("\(Output.text(response["TotalCount"])) attempt(s)")
        }
    }
}
