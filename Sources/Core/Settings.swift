import Foundation

/// One configurable setting: its name in the config file, its environment variable and flag, its default.
public struct Setting: Sendable {
    public let key: String
    public let help: String
    public let defaultValue: String?
    /// Returns an error message when the text is not a valid value.
    public let validate: @Sendable (String) -> String?

    public init(_ key: String, default defaultValue: String?, help: String, validate: @escaping @Sendable (String) -> String? = { _ in nil }) {
        self.key = key
        self.defaultValue = defaultValue
        self.help = help
        self.validate = validate
    }

    public var environmentVariable: String { "ZOHO_SIDECAR_" + key.uppercased() }
    public var flag: String { "--" + key.replacingOccurrences(of: "_", with: "-") }

    public static func integer(_ range: ClosedRange<Int>) -> @Sendable (String) -> String? {
        { text in
            Int(text).map { range.contains($0) ? nil : "must be between \(range.lowerBound) and \(range.upperBound)" } ?? "must be a whole number"
        }
    }

    public static func oneOf(_ values: [String]) -> @Sendable (String) -> String? {
        { text in values.contains(text) ? nil : "must be one of \(values.joined(separator: ", "))" }
    }
}

public struct SettingsError: Error, CustomStringConvertible {
    public let description: String
}

/// Settings resolved from flags, then `ZOHO_SIDECAR_*` environment variables, then a JSON config
/// file, then defaults. Anything unknown or invalid stops the start with a message naming it.
public struct Settings: Sendable {
    public enum Source: String, Sendable {
        case flag, environment, file
        case defaultValue = "default"
    }

    public let values: [String: String]
    public let sources: [String: Source]

    /// Environment variables with the prefix that are not settings but are still ours.
    public static let reservedEnvironment: Set<String> = ["ZOHO_SIDECAR_MASTER_KEY", "ZOHO_SIDECAR_NEW_MASTER_KEY", "ZOHO_SIDECAR_CONFIG"]

    public static func resolve(
        _ catalogue: [Setting],
        flags: [String: String],
        environment: [String: String],
        configFile: String?
    ) throws -> Settings {
        let known = Dictionary(uniqueKeysWithValues: catalogue.map { ($0.key, $0) })
        for name in environment.keys where name.hasPrefix("ZOHO_SIDECAR_") && !reservedEnvironment.contains(name) {
            let key = String(name.dropFirst("ZOHO_SIDECAR_".count)).lowercased()
            if known[key] == nil {
                throw SettingsError(
                    description: "unknown setting \(name) in the environment (known: \(catalogue.map(\.environmentVariable).joined(separator: ", ")))"
                )
            }
        }
        var file: [String: String] = [:]
        if let configFile {
            guard let data = FileManager.default.contents(atPath: configFile) else {
                throw SettingsError(description: "config file \(configFile) cannot be read")
            }
            guard let object = (try? JSONValue.parse(Array(data)))?.objectValue else {
                throw SettingsError(description: "config file \(configFile) is not a JSON object of settings")
            }
            for (key, value) in object {
                guard known[key] != nil else { throw SettingsError(description: "unknown setting '\(key)' in config file \(configFile)") }
                switch value {
                case .string(let s): file[key] = s
                case .int(let i): file[key] = String(i)
                case .bool(let b): file[key] = String(b)
                case .double(let d): file[key] = String(d)
                default: throw SettingsError(description: "setting '\(key)' in config file \(configFile) must be a string, number or boolean")
                }
            }
        }
        var values: [String: String] = [:]
        var sources: [String: Source] = [:]
        for setting in catalogue {
            let candidates: [(String?, Source)] = [
                (flags[setting.key], .flag), (environment[setting.environmentVariable], .environment),
                (file[setting.key], .file), (setting.defaultValue, .defaultValue),
            ]
            guard let (value, source) = candidates.first(where: { $0.0 != nil }).map({ ($0.0!, $0.1) }) else { continue }
            if let problem = setting.validate(value) {
                let origin =
                    switch source {
                    case .flag: setting.flag
                    case .environment: setting.environmentVariable
                    case .file: "'\(setting.key)' in \(configFile ?? "the config file")"
                    case .defaultValue: "default of \(setting.key)"
                    }
                throw SettingsError(description: "invalid setting \(origin)=\(value): \(problem)")
            }
            values[setting.key] = value
            sources[setting.key] = source
        }
        return Settings(values: values, sources: sources)
    }

    public subscript(_ key: String) -> String? { values[key] }
    public func int(_ key: String) -> Int? { values[key].flatMap { Int($0) } }
    public func bool(_ key: String) -> Bool { ["1", "true", "yes", "on"].contains(values[key]?.lowercased() ?? "") }
}
