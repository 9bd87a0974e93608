import Foundation
import HTTPTypes
import HubHTTP
import Hummingbird
import JSONCore
import Logging
import NIOCore
import Registry

/// The firmware upload form (`multipart/form-data`): the same three steps as `iothub firmware upload` and
/// every API client, in process. GetCOSURL opens an upload slot (and checks the product and the version
/// string); the file part streams into that slot through `FirmwareUpload`, which enforces the hub's size
/// limit and computes the MD5; UploadFirmware registers it with that MD5 and size (and refuses a version
/// that exists). The form's fields come before the file, so the CSRF token and the role are checked before
/// a byte of the file is stored.
extension Console {
    /// The form's fields other than the file, together.
    static let maxUploadFieldBytes = 64 * 1024

    func uploadFirmware(_ request: Request, _ context: HubRequestContext) async -> Response {
        guard let visit = await visit(request, context) else { return signedOut() }
        let productId = context.parameters.get("product") ?? ""
        guard let contentType = request.headers[.contentType], let reader = MultipartFormReader(contentType: contentType) else {
            return pages.message(
                status: .unsupportedMediaType, title: "Upload", message: "The upload must be sent as multipart/form-data.", back: Self.firmwarePath(productId),
                visit: visit
            )
        }
        var form = MultipartFormStream(reader: reader, body: request.body)
        var fields: [String: String] = [:]
        var fileName: String?
        do {
            fileName = try await form.fieldsBeforeFile(named: "file", into: &fields, limit: Self.maxUploadFieldBytes)
        } catch is MultipartFormStream.TooLarge {
            return pages.message(status: .contentTooLarge, title: "Too large", message: "The form is larger than the console accepts.", back: nil, visit: visit)
        } catch {
            return pages.message(status: .badRequest, title: "Upload", message: "The form could not be read: \(error)", back: Self.firmwarePath(productId), visit: visit)
        }
        if let refused = refusal(request, visit, csrfToken: fields[Self.csrfField]) { return refused }

        let version = (fields["version"] ?? "").trimmingCharacters(in: .whitespaces)
        let name = fields["name"] ?? ""
        let description = fields["description"] ?? ""
        let keep: [String: Any] = ["version": version, "name": name, "description": description]
        let target = "\(productId)/\(version)"
        func refused(_ code: String, _ message: String, _ status: HTTPResponse.Status, detail: String = "") async -> Response {
            await record(visit.account.name, "UploadFirmware", target: target, result: code, detail: detail, source: visit.source)
            return await firmwarePage(visit, productId: productId, upload: keep, error: message, status: status)
        }
        guard fileName != nil else { return await refused("MissingParameter", "Choose a firmware file to upload.", .badRequest) }
        guard let files = firmware else { return await refused("FailedOperation", "This hub stores no firmware.", .internalServerError) }

        // 1. The upload slot: the action checks the product and the version string.
        let slot = await ManagementAPI.withOperatorHost(request.head.authority) {
            await perform("GetCOSURL", ["ProductId": .string(productId), "FirmwareVersion": .string(version)])
        }
        let token: String
        switch slot {
        case .success(let answer):
            guard let url = answer["Url"]?.stringValue, let slotToken = FirmwareRepository.uploadToken(ofURL: url) else {
                return await refused("InternalError", "The hub gave no upload slot.", .internalServerError)
            }
            token = slotToken
        case .failure(let failure):
            return await refused(failure.code, failure.message, Self.status(of: failure))
        }

        // 2. The file, into the slot: size limit and MD5 on the way.
        let upload: FirmwareUpload
        switch files.beginUpload(token: token) {
        case .success(let begun): upload = begun
        case .failure(let error): return await refused("FailedOperation", "The upload could not start: \(error.message).", .internalServerError)
        }
        let staged: FirmwareRepository.StagedFile
        do {
            try await form.streamPart { bytes in try upload.write(bytes) }
            staged = try upload.finish()
        } catch let error as FirmwareUploadError {
            switch error.code {
            case .tooLarge:
                return await refused(
                    "RequestSizeLimitExceeded", "The file is larger than this hub accepts (\(Self.byteCount(upload.maxSize)), \(upload.maxSize) bytes).",
                    .contentTooLarge
                )
            case .empty: return await refused("InvalidParameterValue", "The file is empty.", .badRequest)
            default: return await refused("FailedOperation", "The file could not be stored.", .internalServerError)
            }
        } catch {
            upload.cancel()
            return await refused("InvalidParameter", "The upload was cut short or malformed: \(error)", .badRequest)
        }
        try? await form.drain(limit: Self.maxUploadFieldBytes)

        // 3. Registered with what the hub computed.
        var parameters: [(String, JSONValue)] = [
            ("ProductId", .string(productId)), ("FirmwareVersion", .string(version)), ("Md5sum", .string(staged.md5)), ("FileSize", .int(staged.size)),
        ]
        if !name.isEmpty { parameters.append(("FirmwareName", .string(name))) }
        if !description.isEmpty { parameters.append(("FirmwareDescription", .string(description))) }
        let detail = "size=\(staged.size) md5=\(staged.md5)"
        switch await change(visit, "UploadFirmware", JSONValue(parameters), target: target, detail: detail) {
        case .success:
            return .redirect(to: "\(Self.firmwarePath(productId))?uploaded=\(FormBody.encode(version))")
        case .failure(let failure):
            // The file stays staged for nothing: the same bytes would be refused again.
            files.discardStaged(FirmwareKey(productId: productId, version: version), token: token)
            return await firmwarePage(visit, productId: productId, upload: keep, error: failure.message, status: Self.status(of: failure))
        }
    }
}

/// A request body read as a `multipart/form-data` form, event by event (``MultipartFormReader`` over the
/// body's buffers).
struct MultipartFormStream {
    struct TooLarge: Error {}

    private var reader: MultipartFormReader
    private var body: RequestBody.AsyncIterator
    private var ended = false

    init(reader: MultipartFormReader, body: RequestBody) {
        self.reader = reader
        self.body = body.makeAsyncIterator()
    }

    /// The next event; nil after the form's end. A body that ends before the closing delimiter throws.
    mutating func next() async throws -> MultipartFormReader.Event? {
        while true {
            if let event = try reader.next() { return event }
            if reader.isComplete { return nil }
            guard !ended else { throw MultipartFormReader.Failure(description: "the form ended early") }
            if let buffer = try await body.next() {
                reader.append(buffer.readableBytesView)
            } else {
                ended = true
            }
        }
    }

    /// Reads text fields (the first value of a name wins) until the file part `fileField` starts; returns its
    /// file name, or nil when the form ended without it. Other file parts are read and dropped. More than
    /// `limit` bytes of fields throw `TooLarge`.
    mutating func fieldsBeforeFile(named fileField: String, into fields: inout [String: String], limit: Int) async throws -> String? {
        var total = 0
        var current: (name: String, isFile: Bool)?
        var value: [UInt8] = []
        while let event = try await next() {
            switch event {
            case .partStart(let name, let fileName):
                if let fileName, name == fileField { return fileName }
                current = (name, fileName != nil)
                value = []
            case .bytes(let bytes):
                total += bytes.count
                guard total <= limit else { throw TooLarge() }
                if current?.isFile == false { value += bytes }
            case .partEnd:
                if let part = current, !part.isFile, fields[part.name] == nil { fields[part.name] = String(decoding: value, as: UTF8.self) }
                current = nil
            case .end:
                return nil
            }
        }
        return nil
    }

    /// Hands the current part's bytes to `write` until the part ends.
    mutating func streamPart(_ write: (UnsafeRawBufferPointer) throws -> Void) async throws {
        while let event = try await next() {
            switch event {
            case .bytes(let bytes): try bytes.withUnsafeBytes { try write($0) }
            case .partEnd, .end: return
            case .partStart: throw MultipartFormReader.Failure(description: "a part inside a part")
            }
        }
        throw MultipartFormReader.Failure(description: "the form ended early")
    }

    /// Reads what follows, up to `limit` bytes, so that the connection can serve the next request.
    mutating func drain(limit: Int) async throws {
        var total = 0
        while let event = try await next() {
            if case .bytes(let bytes) = event {
                total += bytes.count
                guard total <= limit else { return }
            }
        }
    }
}
