/// The two API versions the hub serves (`X-TC-Version` / legacy `Version`).
public enum APIVersion: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// 2021-04-08, the current version.
    case v20210408 = "2021-04-08"
    /// 2018-06-14, the older version (`ProductID` spelling in several actions).
    case v20180614 = "2018-06-14"

    /// `nil` for any other string.
    public init?(wireValue: String) {
        self.init(rawValue: wireValue)
    }

    public var wireValue: String { rawValue }
    public var description: String { rawValue }
}
