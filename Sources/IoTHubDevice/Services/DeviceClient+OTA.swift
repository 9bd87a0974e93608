import Foundation

extension DeviceClient {
    /// Carries out an `update_firmware` command the way the SDKs do: `downloading` progress (every 10 %),
    /// ranged resumable download with MD5 check, `burning` while `install` runs, then `done` and a
    /// `report_version` of the new version. Any failure is reported as `fail` with its result code and
    /// rethrown.
    ///
    /// - Parameters:
    ///   - path: where the verified image is written (its `.part` file makes the download resumable).
    ///   - install: applies the image at `path` (flash it, swap partitions, …).
    public func performFirmwareUpdate(
        _ update: FirmwareUpdate,
        downloadTo path: String,
        downloader: FirmwareDownloader = FirmwareDownloader(),
        install: @Sendable (String) async throws -> Void = { _ in }
    ) async throws {
        let lastPercent = LastPercent()
        do {
            try await reportFirmwareProgress(.downloading, version: update.version, percent: 0)
            try await downloader.download(update, to: path) { received, total in
                let percent = Int(received * 100 / max(total, 1))
                if await lastPercent.advance(to: percent, step: 10) {
                    try? await self.reportFirmwareProgress(.downloading, version: update.version, percent: percent)
                }
            }
        } catch let error as FirmwareDownloadError {
            try? await reportFirmwareProgress(
                .fail, version: update.version, resultCode: error.failure.rawValue, message: "time_out"
            )
            throw error
        }
        do {
            try await reportFirmwareProgress(.burning, version: update.version)
            try await install(path)
        } catch {
            try? await reportFirmwareProgress(.fail, version: update.version, resultCode: FirmwareFailure.upgradeFailed.rawValue, message: "time_out")
            throw error
        }
        try await reportFirmwareProgress(.done, version: update.version)
        try await reportFirmwareVersion(update.version)
    }
}

/// The last progress percentage reported, so that reports go out in steps.
private actor LastPercent {
    private var value = 0

    func advance(to percent: Int, step: Int) -> Bool {
        guard percent >= value + step || (percent == 100 && value < 100) else { return false }
        value = percent
        return true
    }
}
