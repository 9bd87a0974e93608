/// A product's device names in creation order, each with its list state in one byte (presence and enabled),
/// so that listing by state reads bytes instead of device records: 100,000 devices are 100 KB of states.
///
/// A removed device leaves a hole (its state byte marks it) and the holes are squeezed out once they are half
/// the list, so removal costs no shift of the whole list. Iterates as the names of the live devices.
struct ProductDeviceList: Sequence, ExpressibleByArrayLiteral {
    /// The state byte of a hole.
    static let removed: UInt8 = 0x80
    private static let disabledBit: UInt8 = 0x10

    private(set) var names: [String] = []
    private(set) var states: [UInt8] = []
    /// Name → position in `names`.
    private var positions: ShardedDictionary<String, Int> = [:]
    private var holes = 0

    init() {}

    init(arrayLiteral names: String...) {
        for name in names { append(name, state: Self.state(presence: .neverActivated, enabled: true)) }
    }

    static func state(presence: DevicePresence, enabled: Bool) -> UInt8 {
        UInt8(presence.rawValue) | (enabled ? 0 : disabledBit)
    }

    static func state(of device: Device) -> UInt8 {
        state(presence: device.presence, enabled: device.enabled)
    }

    /// The mask and value a state must have to pass `filter`'s presence and enabled parts (holes never do).
    static func selector(_ filter: DeviceFilter) -> (mask: UInt8, value: UInt8) {
        var mask = removed
        var value: UInt8 = 0
        if let presence = filter.presence {
            mask |= 0x0F
            value |= UInt8(presence.rawValue)
        }
        if let enabled = filter.enabled {
            mask |= disabledBit
            value |= enabled ? 0 : disabledBit
        }
        return (mask, value)
    }

    /// Live devices.
    var count: Int { names.count - holes }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ name: String, state: UInt8) {
        positions[name] = names.count
        names.append(name)
        states.append(state)
    }

    mutating func setState(_ name: String, _ state: UInt8) {
        guard let position = positions[name] else { return }
        states[position] = state
    }

    mutating func remove(_ name: String) {
        guard let position = positions.removeValue(forKey: name) else { return }
        states[position] = Self.removed
        holes += 1
        if holes >= 64, holes * 2 >= names.count { compact() }
    }

    private mutating func compact() {
        var keptNames: [String] = []
        var keptStates: [UInt8] = []
        keptNames.reserveCapacity(count)
        keptStates.reserveCapacity(count)
        for (name, state) in zip(names, states) where state != Self.removed {
            positions[name] = keptNames.count
            keptNames.append(name)
            keptStates.append(state)
        }
        names = keptNames
        states = keptStates
        holes = 0
    }

    /// The `limit` live names from the `offset`-th on (no filter).
    func window(offset: Int, limit: Int) -> [String] {
        guard holes > 0 else { return Array(names.dropFirst(offset).prefix(limit)) }
        var result: [String] = []
        var seen = 0
        for (name, state) in zip(names, states) where state != Self.removed {
            if seen >= offset { result.append(name) }
            seen += 1
            if result.count == limit { break }
        }
        return result
    }

    struct Iterator: IteratorProtocol {
        let list: ProductDeviceList
        var position = 0

        mutating func next() -> String? {
            while position < list.names.count {
                defer { position += 1 }
                if list.states[position] != ProductDeviceList.removed { return list.names[position] }
            }
            return nil
        }
    }

    func makeIterator() -> Iterator { Iterator(list: self) }
}
