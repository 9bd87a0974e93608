import Foundation
import HTTPTypes
import HubHTTP
import Hummingbird
import JSONCore
import Logging
import Registry

/// Enabling, disabling and deleting a product, each after a confirmation page.
extension Console {
    func confirmPage(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { visit in
            let id = context.parameters.get("product") ?? ""
            guard visit.canChange else {
                return pages.message(status: .forbidden, title: "Not allowed", message: "A viewer can see everything and change nothing.", back: nil, visit: visit)
            }
            let name: String
            switch await perform("DescribeProduct", ["ProductId": .string(id)]) {
            case .success(let answer): name = answer["ProductName"]?.stringValue ?? id
            case .failure(let failure):
                return pages.message(status: Self.status(of: failure), title: "Product", message: failure.message, back: "/console/products", visit: visit)
            }
            let (question, consequence, verb): (String, String, String)
            switch request.uri.queryParameters.get("do") {
            case "disable":
                (question, consequence, verb) = (
                    "Disable the product \(name)?",
                    "Its devices are disconnected and can neither connect nor register until the product is enabled again.", "Disable"
                )
            case "enable":
                (question, consequence, verb) = ("Enable the product \(name)?", "Its devices may connect and register again.", "Enable")
            case "delete":
                (question, consequence, verb) = (
                    "Delete the product \(name)?", "This cannot be undone. A product that still has devices cannot be deleted: delete them first.", "Delete"
                )
            default:
                return pages.message(status: .badRequest, title: "Product", message: "Unknown operation.", back: "/console/products/\(FormBody.encode(id))", visit: visit)
            }
            let data: [String: Any] = [
                "idPath": FormBody.encode(id), "operation": request.uri.queryParameters.get("do") ?? "", "question": question, "consequence": consequence,
                "verb": verb,
            ]
            return pages.render("confirm", title: "\(verb) product", data: data, visit: visit)
        }
    }

    func setProductForbidden(_ request: Request, _ context: HubRequestContext, _ forbidden: Bool) async -> Response {
        await changing(request, context) { visit, _ in
            let id = context.parameters.get("product") ?? ""
            let parameters: JSONValue = ["ProductId": [.string(id)], "Status": .int(forbidden ? 1 : 0)]
            switch await change(visit, "SetProductsForbiddenStatus", parameters, target: id, detail: "Status=\(forbidden ? 1 : 0)") {
            case .success: return .redirect(to: "/console/products/\(FormBody.encode(id))?saved=1")
            case .failure(let failure): return await productPage(visit, id: id, error: failure.message, status: Self.status(of: failure))
            }
        }
    }

    func deleteProduct(_ request: Request, _ context: HubRequestContext) async -> Response {
        await changing(request, context) { visit, _ in
            let id = context.parameters.get("product") ?? ""
            switch await change(visit, "DeleteProduct", ["ProductId": .string(id)], target: id, detail: "") {
            case .success: return await productsPage(visit, offset: 0, notice: "Product \(id) deleted.")
            case .failure(let failure): return await productPage(visit, id: id, error: failure.message, status: Self.status(of: failure))
            }
        }
    }
}
