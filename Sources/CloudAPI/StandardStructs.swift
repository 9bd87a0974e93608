/// The shared structures of cloud-api.md §7.1, per version (§9 lists the 2018 differences).
public enum StandardStructs {
    /// `DeviceTag`: `Tag` R, `Type` R (1 int, 2 string), `Value` R, `Name`.
    public static let deviceTag = StructSchema("DeviceTag", [
        .required("Tag", .string),
        .required("Type", .integer),
        .required("Value", .string),
        .optional("Name", .string),
    ])

    /// `Attribute`: `Tags` [DeviceTag].
    public static let attribute = StructSchema("Attribute", [
        .optional("Tags", .array(.structure(deviceTag))),
    ])

    /// `DeviceLabel`: `Key` R, `Value` R.
    public static let deviceLabel = StructSchema("DeviceLabel", [
        .required("Key", .string),
        .required("Value", .string),
    ])

    /// `ResetDeviceResult`: `DeviceName`, `Success`, `Reason`.
    public static let resetDeviceResult = StructSchema("ResetDeviceResult", [
        .optional("DeviceName", .string),
        .optional("Success", .boolean),
        .optional("Reason", .string),
    ])

    /// `ProductProperties` (request and response; every field optional). 2018 lacks
    /// `OriginProductId`, `PrivateCAName`, `OriginUserId`, `DeviceLimit`, `ForbiddenStatus`, `AppEUI`.
    public static func productProperties(_ version: APIVersion) -> StructSchema {
        var fields: [FieldSpec] = [
            .optional("ProductDescription", .string),
            .optional("EncryptionType", .string),
            .optional("Region", .string),
            .optional("ProductType", .integer),
            .optional("Format", .string),
            .optional("Platform", .string),
            .optional("Appeui", .string),
            .optional("ModelId", .string),
            .optional("ModelName", .string),
            .optional("ProductKey", .string),
            .optional("RegisterType", .integer),
            .optional("ProductSecret", .string),
            .optional("RegisterLimit", .integer),
        ]
        if version == .v20210408 {
            fields += [
                .optional("OriginProductId", .string),
                .optional("PrivateCAName", .string),
                .optional("OriginUserId", .integer),
                .optional("DeviceLimit", .integer),
                .optional("ForbiddenStatus", .integer),
                .optional("AppEUI", .string),
            ]
        }
        return StructSchema("ProductProperties", fields)
    }

    /// `ProductMetadata`: `CreationDate`; 2021 adds `CreateUserId`, `UserId`.
    public static func productMetadata(_ version: APIVersion) -> StructSchema {
        var fields: [FieldSpec] = [.optional("CreationDate", .integer)]
        if version == .v20210408 {
            fields += [.optional("CreateUserId", .integer), .optional("UserId", .integer)]
        }
        return StructSchema("ProductMetadata", fields)
    }

    /// `ProductInfo` (list item of DescribeProducts).
    public static func productInfo(_ version: APIVersion) -> StructSchema {
        StructSchema("ProductInfo", [
            .optional("ProductId", .string),
            .optional("ProductName", .string),
            .optional("ProductMetadata", .structure(productMetadata(version))),
            .optional("ProductProperties", .structure(productProperties(version))),
        ])
    }

    /// `DeviceInfo` fields (list item of DescribeDevices; DescribeDevice returns them flattened).
    /// 2018 lacks `CreateUserId` and `NBIoTDeviceID`.
    public static func deviceInfoFields(_ version: APIVersion) -> [FieldSpec] {
        var fields: [FieldSpec] = [
            .optional("DeviceName", .string),
            .optional("Online", .integer),
            .optional("LoginTime", .integer),
            .optional("Version", .string),
            .optional("DeviceCert", .string),
            .optional("DevicePsk", .string),
            .optional("Tags", .array(.structure(deviceTag))),
            .optional("DeviceType", .integer),
            .optional("Imei", .string),
            .optional("Isp", .integer),
            .optional("NbiotDeviceID", .string),
            .optional("ConnIP", .integer),
            .optional("LastUpdateTime", .integer),
            .optional("LoraDevEui", .string),
            .optional("LoraMoteType", .integer),
            .optional("FirstOnlineTime", .integer),
            .optional("LastOfflineTime", .integer),
            .optional("CreateTime", .integer),
            .optional("LogLevel", .integer),
            .optional("CertState", .integer),
            .optional("EnableState", .integer),
            .optional("Labels", .array(.structure(deviceLabel))),
            .optional("ClientIP", .string),
            .optional("FirmwareUpdateTime", .integer),
        ]
        if version == .v20210408 {
            fields += [.optional("CreateUserId", .integer), .optional("NBIoTDeviceID", .string)]
        }
        return fields
    }

    public static func deviceInfo(_ version: APIVersion) -> StructSchema {
        StructSchema("DeviceInfo", deviceInfoFields(version))
    }

    /// `ProductId` with the 2018 spelling `ProductID` where `capitalDIn2018` (cloud-api.md §9);
    /// the internal name is always `ProductId`.
    public static func productIdField(
        _ version: APIVersion,
        capitalDIn2018: Bool,
        type: FieldType = .string,
        required: Bool = true
    ) -> FieldSpec {
        let wire = (version == .v20180614 && capitalDIn2018) ? "ProductID" : "ProductId"
        return FieldSpec(wire, type, required: required, internalName: "ProductId")
    }
}
