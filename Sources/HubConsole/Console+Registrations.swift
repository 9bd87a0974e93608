import Foundation
import HTTPTypes
import HubHTTP
import Hummingbird
import JSONCore
import Logging
import Registry

/// The registration audit (`DescribeRegistrationLogs`): every attempt with its result, reason and source.
extension Console {
    func registrationsPage(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { visit in
            var (data, parameters, error) = Self.registrationQuery(request)
            if let error {
                return pages.render("registrations", title: "Registrations", data: data, visit: visit, status: .badRequest, error: error)
            }
            // The newest page follows new attempts by itself; older pages stay as they are.
            data["live"] = Self.offset(request) == 0
            switch await registrationRows(parameters, into: &data) {
            case .success:
                return pages.render("registrations", title: "Registrations", data: data, visit: visit)
            case .failure(let failure):
                return pages.render("registrations", title: "Registrations", data: data, visit: visit, status: Self.status(of: failure), error: failure.message)
            }
        }
    }

    /// The newest rows matching the page's filter, what the page's live table refreshes itself with. No
    /// session is 403 (not the sign-in redirect, whose page would land inside the table).
    func registrationRowsFragment(_ request: Request, _ context: HubRequestContext) async -> Response {
        guard await visit(request, context) != nil else { return Response(status: .forbidden) }
        var (data, parameters, error) = Self.registrationQuery(request, offset: 0)
        guard error == nil, case .success = await registrationRows(parameters, into: &data) else { return Response(status: .badRequest) }
        return pages.poll("registration-rows-poll", data: data)
    }

    /// The page's filter from the query string: what the template shows, the action's parameters, or the
    /// error of a malformed time.
    static func registrationQuery(_ request: Request, offset: Int? = nil) -> (data: [String: Any], parameters: [(String, JSONValue)], error: String?) {
        let query = request.uri.queryParameters
        let text = { (name: String) in (query.get(name) ?? "").trimmingCharacters(in: .whitespaces) }
        let offset = offset ?? Self.offset(request)
        var filter: [String: Any] = [
            "product": text("product"), "device": text("device"), "reason": text("reason"), "from": text("from"), "to": text("to"),
            "success": text("result") == "success", "failure": text("result") == "failure",
        ]
        var parameters: [(String, JSONValue)] = [("Offset", .int(Int64(offset))), ("Limit", .int(Int64(Self.pageSize)))]
        for (field, name) in [("ProductId", "product"), ("DeviceName", "device"), ("Reason", "reason"), ("Result", "result")] where !text(name).isEmpty {
            parameters.append((field, .string(text(name))))
        }
        var error: String?
        for (field, name) in [("StartTime", "from"), ("EndTime", "to")] where !text(name).isEmpty {
            guard let seconds = Self.utcSeconds(text(name)) else {
                error = "Times are written as 2026-12-07T10:15 (UTC)."
                filter[name] = text(name)
                continue
            }
            parameters.append((field, .int(seconds)))
        }
        var data: [String: Any] = ["filter": filter, "offset": offset]
        // Links to other pages (and the live table) keep the filter.
        data["query"] = ["product", "device", "result", "reason", "from", "to"].map { "\($0)=\(FormBody.encode(text($0)))" }.joined(separator: "&")
        return (data, parameters, error)
    }

    /// Runs DescribeRegistrationLogs and adds its rows and paging to `data`.
    func registrationRows(_ parameters: [(String, JSONValue)], into data: inout [String: Any]) async -> Result<Void, ManagementError> {
        switch await perform("DescribeRegistrationLogs", JSONValue(parameters)) {
        case .success(let answer):
            data["attempts"] = (answer["Logs"]?.arrayValue ?? []).map { log -> [String: Any] in
                [
                    "time": ConsolePages.time(Int64(log["Time"]?.intValue ?? 0)), "productId": log["ProductId"]?.stringValue ?? "",
                    "deviceName": log["DeviceName"]?.stringValue ?? "", "endpoint": log["Endpoint"]?.stringValue ?? "",
                    "result": log["Result"]?.stringValue ?? "", "reason": log["Reason"]?.stringValue ?? "",
                    "source": log["SourceAddress"]?.stringValue ?? "", "count": log["Count"]?.intValue ?? 1,
                ]
            }
            Self.paging(&data, offset: data["offset"] as? Int ?? 0, total: answer["TotalCount"]?.intValue ?? 0)
            return .success(())
        case .failure(let failure):
            return .failure(failure)
        }
    }

    /// `2026-12-07T10:15` (what a datetime-local input sends; seconds optional) as Unix seconds, UTC.
    static func utcSeconds(_ text: String) -> Int64? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970) }
        }
        return nil
    }
}
