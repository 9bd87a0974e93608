import NIOCore
import Registry

/// Source-address bans (hub actions): list, add (stored, survive a restart), remove.
extension ManagementActions {
    func describeBans(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let bans = try requireAbuse().activeBans()
        return [("TotalCount", .int(bans.count)), ("Bans", .array(bans.map(Self.banValue)))]
    }

    func createBan(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let abuse = try requireAbuse()
        let address = try Self.address(p)
        let duration = p.int("Duration") ?? 0
        guard duration >= 0 else { throw ManagementError.invalidValue("Duration must be 0 (until removed) or a number of seconds.") }
        let reason = p.string("Reason").flatMap { $0.isEmpty ? nil : String($0.prefix(200)) } ?? "operator"
        let ban = try await abuse.ban(address, seconds: duration == 0 ? nil : duration, reason: reason)
        return [("Ban", Self.banValue(ban))]
    }

    func deleteBan(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let abuse = try requireAbuse()
        let address = try Self.address(p)
        guard try await abuse.unban(address) else {
            throw ManagementError("ResourceNotFound", "No ban of \(address).")
        }
        return []
    }

    private func requireAbuse() throws -> AbuseGuard {
        guard let abuse else { throw ManagementError("FailedOperation", "This hub has no ban list.") }
        return abuse
    }

    /// An IPv4 or IPv6 address, as the hub writes it (bans match exact addresses).
    private static func address(_ p: ActionParameters) throws -> String {
        let text = try require(p.string("Address"), "Address")
        guard let parsed = try? SocketAddress(ipAddress: text, port: 0), let address = parsed.ipAddress else {
            throw ManagementError.invalidValue("Address must be an IPv4 or IPv6 address.")
        }
        return AbuseGuard.normalize(address)
    }

    private static func banValue(_ ban: SourceBan) -> ActionValue {
        .object([
            ("Address", .string(ban.address)),
            ("Reason", .string(ban.reason)),
            ("Automatic", .bool(ban.automatic)),
            ("CreateTime", .int(ban.created / 1000)),
            // Unix seconds; 0 = until removed.
            ("ExpireTime", .int((ban.until ?? 0) / 1000)),
        ])
    }
}
