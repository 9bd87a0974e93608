import JSONCore
import XCTest

final class JSONValueTests: XCTestCase {
    func testRoundTripKeepsOrderExactIntegersAndNonASCII() throws {
        let text = #"{"z":1,"a":[true,false,null],"n":-9223372036854775808,"m":9223372036854775807,"u":18446744073709551615,"f":0.5,"e":1e3,"s":"温度 \"q\" \\ / \n\t\u0001","emoji":"😀"}"#
        let value = try JSONValue(parsing: text)
        XCTAssertEqual(value["n"], .int(Int64.min))
        XCTAssertEqual(value["m"], .int(Int64.max))
        XCTAssertEqual(value["u"], .double(18_446_744_073_709_551_616))
        XCTAssertEqual(value["f"], .double(0.5))
        XCTAssertEqual(value["e"], .double(1000))
        XCTAssertEqual(value["a"], [true, false, nil])
        XCTAssertEqual(value["s"]?.stringValue, "温度 \"q\" \\ / \n\t\u{1}")
        XCTAssertEqual(value["emoji"]?.stringValue, "😀")
        XCTAssertEqual(value.objectValue?.keys, ["z", "a", "n", "m", "u", "f", "e", "s", "emoji"])
        let serialized = value.serializedString()
        XCTAssertEqual(
            serialized,
            #"{"z":1,"a":[true,false,null],"n":-9223372036854775808,"m":9223372036854775807,"u":1.8446744073709552e+19,"f":0.5,"e":1000.0,"s":"温度 \"q\" \\ / \n\t\u0001","emoji":"😀"}"#
        )
        XCTAssertEqual(try JSONValue(parsing: serialized), value)
    }

    func testPythonStyleEscapesParse() throws {
        let value = try JSONValue(parsing: #"{"Value": "\u6e29\u5ea6", "E": "\ud83d\ude00"}"#)
        XCTAssertEqual(value["Value"]?.stringValue, "温度")
        XCTAssertEqual(value["E"]?.stringValue, "😀")
        XCTAssertEqual(value.serializedString(), #"{"Value":"温度","E":"😀"}"#)
        XCTAssertEqual(value.serializedString(options: .asciiOnly), #"{"Value":"\u6e29\u5ea6","E":"\ud83d\ude00"}"#)
    }

    func testBoolIsNotNumber() throws {
        let value = try JSONValue(parsing: "[true, 1, 0, false, 1.0]")
        XCTAssertEqual(value, [.bool(true), .int(1), .int(0), .bool(false), .double(1)])
        XCTAssertNil(value[0]?.intValue)
        XCTAssertNil(value[1]?.boolValue)
        XCTAssertEqual(value[4]?.intValue, 1)
    }

    func testAccessorsAndMutation() {
        var value: JSONValue = ["A": "x"]
        value["B"] = 2
        value["A"] = "y"
        XCTAssertEqual(value.serializedString(), #"{"A":"y","B":2}"#)
        value["A"] = nil
        XCTAssertEqual(value.serializedString(), #"{"B":2}"#)
        XCTAssertEqual(value["B"]?.int64Value, 2)
        XCTAssertNil(value["missing"])
        XCTAssertNil(JSONValue.string("s")["B"])
        XCTAssertEqual(JSONValue.int(3).doubleValue, 3)
        XCTAssertTrue(JSONValue.null.isNull)
    }

    func testObjectEqualityIgnoresOrderButSerialisationDoesNot() throws {
        let a = try JSONValue(parsing: #"{"a":1,"b":2}"#)
        let b = try JSONValue(parsing: #"{"b":2,"a":1}"#)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a.serialized(), b.serialized())
    }

    func testDuplicateKeysLastWins() throws {
        let value = try JSONValue(parsing: #"{"a":1,"b":2,"a":3}"#)
        XCTAssertEqual(value.serializedString(), #"{"a":3,"b":2}"#)
    }

    func testInvalidDocuments() {
        for text in ["", "{", "[1,]", "{\"a\":}", "01", "1.", "-", "tru", "\"\u{1}\"", "\"\\x\"", "\"\\ud800\"", "{} x", "[1 2]", "nan"] {
            XCTAssertThrowsError(try JSONValue(parsing: text), text)
        }
        let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        XCTAssertThrowsError(try JSONValue(parsing: deep))
        XCTAssertThrowsError(try JSONValue(parsing: [0x22, 0xFF, 0x22]))
    }

    func testWhitespaceAndScalars() throws {
        XCTAssertEqual(try JSONValue(parsing: " \n\t 42 \r\n"), .int(42))
        XCTAssertEqual(try JSONValue(parsing: "-0.25e-2"), .double(-0.0025))
        XCTAssertEqual(try JSONValue(parsing: "\"\""), .string(""))
        XCTAssertEqual(try JSONValue(parsing: "{}").serializedString(), "{}")
        XCTAssertEqual(try JSONValue(parsing: "[]").serializedString(), "[]")
        XCTAssertEqual(JSONValue.double(.nan).serializedString(), "null")
    }
}
