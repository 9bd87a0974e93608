import Logging
import DeviceAuth
import Foundation
import Metrics
import Registry

extension DeviceGateway {
    /// Legacy `POST /register/dev`. Returns the exact response body.
    public func registerLegacy(body: [UInt8]?, source: String) async -> [UInt8] {
        let requestId = RequestID.make()
        guard let body else {
            return await refuse(.invalidRequest, endpoint: .legacy, ids: AuditIdentifiers(body: [], productKey: "", deviceKey: ""), source: source, detail: "body too large", requestId: requestId)
        }
        let request: LegacyRegistrationRequest
        do {
            request = try LegacyRegistrationRequest(parsing: body)
        } catch {
            return await refuse(
                .invalidRequest, endpoint: .legacy, ids: AuditIdentifiers(body: body, productKey: "productId", deviceKey: "deviceName"),
                source: source, detail: "body is not a JSON object with the five registration fields", requestId: requestId
            )
        }
        if let problem = identifierProblem(productId: request.productId, deviceName: request.deviceName) {
            return await refuse(
                .invalidRequest, endpoint: .legacy, ids: AuditIdentifiers(productId: request.productId, deviceName: request.deviceName),
                source: source, detail: problem, requestId: requestId
            )
        }
        let outcome = await registry.register(
            RegistrationRequest(
                productId: request.productId,
                deviceName: request.deviceName,
                endpoint: .legacy,
                sourceAddress: source,
                nonce: request.nonce,
                timestamp: request.timestamp,
                verifySignature: { secret in request.verifySignature(productSecret: secret) }
            )
        )
        noteFailure(outcome, source: source)
        return answer(outcome, endpoint: .legacy, requestId: requestId)
    }

    /// v2 `POST /device/register`. Returns the exact response body.
    public func registerV2(body: [UInt8]?, headers: V2Headers, hostHeader: String?, source: String) async -> [UInt8] {
        let requestId = RequestID.make()
        guard let body else {
            return await refuse(.invalidRequest, endpoint: .v2, ids: AuditIdentifiers(body: [], productKey: "", deviceKey: ""), source: source, detail: "body too large", requestId: requestId)
        }
        // Read only for the audit entry of a refusal (a second JSON parse the accepted path does not need).
        func ids() -> AuditIdentifiers { AuditIdentifiers(body: body, productKey: "ProductId", deviceKey: "DeviceName") }
        guard let algorithm = headers.algorithm, V2RegistrationSignature.Algorithm(headerValue: algorithm) != nil,
            let timestamp = headers.timestamp, let nonce = headers.nonce, let signature = headers.signature,
            !timestamp.isEmpty, !nonce.isEmpty, !signature.isEmpty
        else {
            return await refuse(
                .invalidAuthorization, endpoint: .v2, ids: ids(), source: source,
                detail: "X-TC-* header missing or unknown algorithm", requestId: requestId
            )
        }
        let request: (productId: String, deviceName: String)
        if let plain = PlainV2Body.parse(body) {
            request = plain
        } else {
            do {
                let parsed = try V2RegistrationRequest(parsing: body)
                request = (parsed.productId, parsed.deviceName)
            } catch {
                return await refuse(
                    .invalidRequest, endpoint: .v2, ids: ids(), source: source,
                    detail: "body is not a JSON object with string ProductId and DeviceName", requestId: requestId
                )
            }
        }
        if let problem = identifierProblem(productId: request.productId, deviceName: request.deviceName) {
            return await refuse(.invalidRequest, endpoint: .v2, ids: ids(), source: source, detail: problem, requestId: requestId)
        }
        let hosts = V2RegistrationSignature.candidateHosts(hostHeader: hostHeader, configuredHosts: configuration.publicHostNames)
        let outcome = await registry.register(
            RegistrationRequest(
                productId: request.productId,
                deviceName: request.deviceName,
                endpoint: .v2,
                sourceAddress: source,
                nonce: nonce,
                timestamp: timestamp,
                verifySignature: { secret in
                    V2RegistrationSignature.verify(
                        signature: signature,
                        productSecret: secret,
                        candidateHosts: hosts,
                        algorithmHeader: algorithm,
                        timestamp: timestamp,
                        nonce: nonce,
                        body: body
                    )
                }
            )
        )
        noteFailure(outcome, source: source)
        return answer(outcome, endpoint: .v2, requestId: requestId)
    }

    /// Refusals that mean the caller does not hold the product's secret (or is probing for products and
    /// devices): they count toward an automatic ban of the source.
    static let authenticationFailures: Set<RegistrationRefusal> = [
        .invalidAuthorization, .signatureMismatch, .nonceReplayed, .productNotFound, .deviceNotFound,
    ]

    private func noteFailure(_ outcome: Result<RegistrationGrant, RegistrationRefusal>, source: String) {
        guard let abuse, case .failure(let refusal) = outcome, Self.authenticationFailures.contains(refusal) else { return }
        let address = AbuseGuard.address(fromSource: source)
        if abuse.authenticationFailed(source: address) {
            logger.warning("source banned", metadata: ["hub.source": "\(address)", "hub.reason": "authentication failures", "hub.gate": "registration"])
        }
    }

    /// Checks the source's ban and rate limit before anything of the request is parsed; returns the refusal's
    /// body when it may not register now. Refusals are audited and counted.
    func admit(_ endpoint: RegistrationEndpoint, address: String?, source: String) async -> [UInt8]? {
        guard let abuse else { return nil }
        let refusal: RegistrationRefusal
        switch abuse.admit(.registration, source: address) {
        case .allowed: return nil
        case .rateLimited: refusal = .requestLimitExceeded
        case .banned: refusal = .sourceBanned
        }
        return await refuse(
            refusal, endpoint: endpoint, ids: AuditIdentifiers(productId: "", deviceName: ""), source: source,
            detail: refusal == .sourceBanned ? "source address banned" : "over the per-source registration rate", requestId: RequestID.make(),
            logLevel: .debug
        )
    }

    private func answer(
        _ outcome: Result<RegistrationGrant, RegistrationRefusal>,
        endpoint: RegistrationEndpoint,
        requestId: String
    ) -> [UInt8] {
        switch outcome {
        case .failure(let refusal):
            RegistrationMetrics.count(endpoint: endpoint, result: refusal.reasonCode)
            return errorBody(refusal, endpoint: endpoint, requestId: requestId)
        case .success(let grant):
            let plaintext: [UInt8]
            switch grant.credential {
            case .psk(let psk):
                plaintext = RegistrationPayload.pskPlaintext(psk: psk)
            case .certificate(let certificatePEM, let privateKeyPEM?, _):
                plaintext = RegistrationPayload.certificatePlaintext(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM)
            case .certificate(_, nil, _):
                logger.error("certificate device has no private key left to hand out")
                return errorBody(.internalError, endpoint: endpoint, requestId: requestId)
            }
            let encrypted: (payload: String, length: Int)
            do {
                encrypted = try RegistrationPayload.encrypt(plaintext: plaintext, productSecret: grant.productSecret)
            } catch {
                logger.error("registration payload encryption failed", metadata: ["error": "\(error)"])
                return errorBody(.internalError, endpoint: endpoint, requestId: requestId)
            }
            RegistrationMetrics.count(endpoint: endpoint, result: grant.created ? "registered" : "reissued")
            switch endpoint {
            case .legacy:
                return Array(RegistrationWire.legacySuccessBody(length: encrypted.length, payload: encrypted.payload).utf8)
            case .v2:
                return V2SuccessBody.make(length: encrypted.length, payload: encrypted.payload, requestId: requestId)
            }
        }
    }

    private func errorBody(_ refusal: RegistrationRefusal, endpoint: RegistrationEndpoint, requestId: String) -> [UInt8] {
        switch endpoint {
        case .legacy: return Array(RegistrationWire.legacyErrorBody(refusal, requestId: requestId).utf8)
        case .v2: return Array(RegistrationWire.v2ErrorBody(refusal, requestId: requestId).utf8)
        }
    }

    /// Refuses a request that never reached the registry's policy, and audits it.
    private func refuse(
        _ refusal: RegistrationRefusal,
        endpoint: RegistrationEndpoint,
        ids: AuditIdentifiers,
        source: String,
        detail: String,
        requestId: String,
        logLevel: Logger.Level = .info
    ) async -> [UInt8] {
        logger.log(
            level: logLevel,
            "registration refused",
            metadata: ["hub.reason": "\(refusal.reasonCode)", "hub.source": "\(source)", "hub.detail": "\(detail)"]
        )
        registry.submitRefusedAttempt(
            RegistrationAttempt(
                time: RegistryEngine.systemMillis(),
                productId: ids.productId ?? "",
                deviceName: ids.deviceName ?? "",
                sourceAddress: source,
                endpoint: endpoint,
                accepted: false,
                reason: refusal.reasonCode,
                detail: detail
            )
        )
        RegistrationMetrics.count(endpoint: endpoint, result: refusal.reasonCode)
        return errorBody(refusal, endpoint: endpoint, requestId: requestId)
    }
}
