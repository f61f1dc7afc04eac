import Foundation
import Logging
import Synchronization

/// Writes log lines to standard error, as text or JSON lines, every message and metadata value passed
/// through `Secrets.redact` first: a secret cannot reach the log by any path.
public struct SidecarLogHandler: LogHandler {
    public enum Format: String, Sendable { case text, json }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: Format
    /// Tests capture lines here to scan them for secrets.
    let sink: @Sendable (String) -> Void

    public init(label: String, level: Logger.Level, format: Format, sink: (@Sendable (String) -> Void)? = nil) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.sink = sink ?? { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = LogContext.metadata
        all.merge(metadata) { _, new in new }
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let message = Secrets.redact(event.message.description)
        let fields = all.mapValues { Secrets.redact("\($0)") }
        let time = Clock.odooString(Clock.now()).replacingOccurrences(of: " ", with: "T") + "Z"
        switch format {
        case .text:
            let meta = fields.keys.sorted().map { "\($0)=\(fields[$0]!)" }.joined(separator: " ")
            sink("\(time) \(event.level) \(label): \(message)\(meta.isEmpty ? "" : " " + meta)")
        case .json:
            var object: [String: JSONValue] = [
                "time": .string(time), "level": .string(event.level.rawValue),
                "logger": .string(label), "message": .string(message),
            ]
            for (k, v) in fields where object[k] == nil { object[k] = .string(v) }
            sink(JSONValue.object(object).serialized())
        }
    }
}
