import Foundation
import HTTPTypes
import HubHTTP
import Hummingbird
import Logging
import Registry

extension Console {
    /// The operator audit trail, newest first.
    func auditPage(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { visit in
            let offset = Self.offset(request)
            do {
                let page = try await store.operatorAudit(offset: offset, limit: Self.pageSize)
                var data: [String: Any] = [
                    "entries": page.entries.map { entry -> [String: Any] in
                        [
                            "time": ConsolePages.time(entry.time), "operatorName": entry.operatorName, "action": entry.action, "target": entry.target,
                            "result": entry.result, "detail": entry.detail, "source": entry.source,
                        ]
                    }
                ]
                Self.paging(&data, offset: offset, total: page.total)
                return pages.render("audit", title: "Operator audit", data: data, visit: visit)
            } catch {
                logger.error("console: operator audit not read", metadata: ["error": "\(error)"])
                return pages.message(status: .internalServerError, title: "Operator audit", message: "The hub could not read the operator audit.", back: nil, visit: visit)
            }
        }
    }
}
