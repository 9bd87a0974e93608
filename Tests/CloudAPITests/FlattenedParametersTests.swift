import CloudAPI
import JSONCore
import XCTest

final class FlattenedParametersTests: XCTestCase {
    private let schema = ActionCatalog.standard.schema(action: "CreateDevice", version: .v20210408)!.requestStruct

    func testTypedConversion() throws {
        let pairs: [(name: String, value: String)] = [
            ("ProductId", "P"), ("DeviceName", "d"), ("Isp", "2"),
            ("Attribute.Tags.0.Tag", "x"), ("Attribute.Tags.0.Type", "1"), ("Attribute.Tags.0.Value", "7"),
        ]
        let json = try FlattenedParameters.unflatten(pairs, schema: schema)
        XCTAssertEqual(
            json.serializedString(),
            #"{"ProductId":"P","DeviceName":"d","Isp":2,"Attribute":{"Tags":[{"Tag":"x","Type":1,"Value":"7"}]}}"#
        )
    }

    func testListOrderFollowsIndicesNumerically() throws {
        let pairs: [(name: String, value: String)] = (0..<12).reversed().map { ("DeviceNames.\($0)", "d\($0)") }
        let json = try FlattenedParameters.unflatten(
            pairs, schema: StructSchema("R", [.required("DeviceNames", .array(.string))])
        )
        XCTAssertEqual(json["DeviceNames"], .array((0..<12).map { .string("d\($0)") }))
    }

    func testBooleans() throws {
        let schema = StructSchema("R", [.optional("Flag", .boolean), .optional("Other", .boolean), .optional("F", .float)])
        let json = try FlattenedParameters.unflatten([("Flag", "True"), ("Other", "0"), ("F", "1.5")], schema: schema)
        XCTAssertEqual(json, ["Flag": true, "Other": false, "F": 1.5])
        XCTAssertAPIError({ () throws(APIError) in
            try FlattenedParameters.unflatten([("Flag", "yes")], schema: schema)
        }, code: "InvalidParameter")
    }

    func testGenericConversionWithoutSchema() throws {
        let json = try FlattenedParameters.unflatten([("A.0", "x"), ("A.1", "y"), ("B.C", "z"), ("D", "1")], schema: nil)
        XCTAssertEqual(json.serializedString(), #"{"A":["x","y"],"B":{"C":"z"},"D":"1"}"#)
    }

    func testConflictsAndBadNames() {
        XCTAssertAPIError({ () throws(APIError) in
            try FlattenedParameters.unflatten([("A", "x"), ("A.B", "y")], schema: nil)
        }, code: "InvalidParameter")
        XCTAssertAPIError({ () throws(APIError) in
            try FlattenedParameters.unflatten([("A", "x"), ("A", "y")], schema: nil)
        }, code: "InvalidParameter")
        XCTAssertAPIError({ () throws(APIError) in
            try FlattenedParameters.unflatten([("A..B", "x")], schema: nil)
        }, code: "InvalidParameter")
        XCTAssertAPIError({ () throws(APIError) in
            try FlattenedParameters.unflatten([("Attribute.Tags.x.Tag", "x")], schema: schema)
        }, code: "InvalidParameter", messageContains: "Attribute.Tags")
        XCTAssertAPIError({ () throws(APIError) in
            try FlattenedParameters.unflatten([("Attribute", "x")], schema: schema)
        }, code: "InvalidParameter", messageContains: "Attribute")
    }

    func testFlattenRoundTrip() throws {
        let value: JSONValue = ["ProductId": "P", "DeviceNames": ["a", "b"], "Attribute": ["Tags": [["Tag": "t", "Type": 2]]]]
        let pairs = FlattenedParameters.flatten(value)
        XCTAssertEqual(pairs.map { "\($0.name)=\($0.value)" },
                       ["ProductId=P", "DeviceNames.0=a", "DeviceNames.1=b", "Attribute.Tags.0.Tag=t", "Attribute.Tags.0.Type=2"])
        let schema = StructSchema("R", [
            .required("ProductId", .string), .required("DeviceNames", .array(.string)),
            .optional("Attribute", .structure(StandardStructs.attribute)),
        ])
        XCTAssertEqual(try FlattenedParameters.unflatten(pairs, schema: schema), value)
    }

    func testFormURLEncoding() {
        let pairs = FormURLEncoding.parse("a=1&b=x+y&c=%E6%B8%A9%3D&d&&e=%zz")
        XCTAssertEqual(pairs.map(\.name), ["a", "b", "c", "d", "e"])
        XCTAssertEqual(pairs.map(\.value), ["1", "x y", "温=", "", "%zz"])
        XCTAssertEqual(FormURLEncoding.encode("a b+c/=é~"), "a+b%2Bc%2F%3D%C3%A9~")
    }
}
