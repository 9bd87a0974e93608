/// The `Keywords` of ListSDKLog: space-separated `key:value` terms for the indexed keys `productid`,
/// `devicename` and `loglevel` (keys case-insensitive), every other term a text the entry's content must
/// contain.
struct SDKLogKeywords: Sendable, Equatable {
    var productId: String?
    var deviceName: String?
    /// `ERR`, `WRN`, `INF` or `DBG`.
    var level: String?
    var words: [String] = []

    enum ParseError: Error, Equatable {
        case unknownLevel(String)
    }

    init(productId: String? = nil, deviceName: String? = nil, level: String? = nil, words: [String] = []) {
        self.productId = productId
        self.deviceName = deviceName
        self.level = level
        self.words = words
    }

    init(parsing text: String) throws(ParseError) {
        for term in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            guard let colon = term.firstIndex(of: ":") else {
                words.append(String(term))
                continue
            }
            let value = String(term[term.index(after: colon)...])
            switch term[..<colon].lowercased() {
            case "productid": productId = value
            case "devicename": deviceName = value
            case "loglevel":
                guard let level = Self.level(value) else { throw .unknownLevel(value) }
                self.level = level
            default: words.append(String(term))
            }
        }
    }

    /// The stored level of a `loglevel:` value: the SDKs' three letters or the usual long names.
    static func level(_ value: String) -> String? {
        switch value.uppercased() {
        case "ERR", "ERROR": "ERR"
        case "WRN", "WARN", "WARNING": "WRN"
        case "INF", "INFO": "INF"
        case "DBG", "DEBUG": "DBG"
        default: nil
        }
    }
}
