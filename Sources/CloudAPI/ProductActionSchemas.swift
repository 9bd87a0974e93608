/// Product actions (cloud-api.md §7.2) for one version.
enum ProductActionSchemas {
    static func all(_ version: APIVersion) -> [ActionSchema] {
        let properties = FieldType.structure(StandardStructs.productProperties(version))
        let metadata = FieldType.structure(StandardStructs.productMetadata(version))
        return [
            ActionSchema(
                action: "CreateProduct", version: version,
                request: [
                    .required("ProductName", .string),
                    .optional("ProductProperties", properties),
                    .optional("Skey", .string),
                ],
                response: [
                    .optional("ProductName", .string),
                    .optional("ProductId", .string),
                    .optional("ProductProperties", properties),
                ]
            ),
            ActionSchema(
                action: "DescribeProduct", version: version,
                request: [.required("ProductId", .string)],
                response: [
                    .optional("ProductId", .string),
                    .optional("ProductName", .string),
                    .optional("ProductMetadata", metadata),
                    .optional("ProductProperties", properties),
                ]
            ),
            ActionSchema(
                action: "DescribeProducts", version: version,
                request: [.required("Offset", .integer), .required("Limit", .integer)],
                response: [
                    .optional("TotalCount", .integer),
                    .optional("Products", .array(.structure(StandardStructs.productInfo(version)))),
                ]
            ),
            ActionSchema(
                action: "DeleteProduct", version: version,
                request: [.required("ProductId", .string), .optional("Skey", .string)],
                response: []
            ),
            ActionSchema(
                action: "UpdateProductDynamicRegister", version: version,
                request: [
                    .required("ProductId", .string),
                    .required("RegisterType", .integer),
                    .required("RegisterLimit", .integer),
                ],
                response: [
                    .optional("RegisterType", .integer),
                    .optional("ProductSecret", .string),
                    .optional("RegisterLimit", .integer),
                ]
            ),
            ActionSchema(
                action: "SetProductsForbiddenStatus", version: version,
                request: [
                    StandardStructs.productIdField(version, capitalDIn2018: true, type: .array(.string)),
                    .required("Status", .integer),
                ],
                response: []
            ),
        ]
    }
}
