import Core

/// A Zoho CRM module as the Modules Metadata API (`GET /settings/modules`) lists it.
public struct ZohoModule: Sendable, Equatable {
    public let id: String
    public let apiName: String
    public let singularLabel: String
    public let pluralLabel: String
    /// Records of it can be read and written through the API (Home, Feeds and the like cannot).
    public let apiSupported: Bool
    public let creatable: Bool
    public let editable: Bool
    /// Made by an administrator, not shipped by Zoho (`generated_type` `custom`).
    public let custom: Bool

    public init(
        id: String,
        apiName: String,
        singularLabel: String,
        pluralLabel: String,
        apiSupported: Bool,
        creatable: Bool,
        editable: Bool,
        custom: Bool
    ) {
        self.id = id
        self.apiName = apiName
        self.singularLabel = singularLabel
        self.pluralLabel = pluralLabel
        self.apiSupported = apiSupported
        self.creatable = creatable
        self.editable = editable
        self.custom = custom
    }

    /// An entry of `modules`; ids come as strings or numbers depending on the API version.
    public init?(json: JSONValue) {
        guard let apiName = json["api_name"]?.stringValue else { return nil }
        self.init(
            id: json["id"]?.stringValue ?? json["id"]?.intValue.map { String($0) } ?? "",
            apiName: apiName,
            singularLabel: json["singular_label"]?.stringValue ?? apiName,
            pluralLabel: json["plural_label"]?.stringValue ?? apiName,
            apiSupported: json["api_supported"]?.boolValue ?? false,
            creatable: json["creatable"]?.boolValue ?? false,
            editable: json["editable"]?.boolValue ?? false,
            custom: json["generated_type"]?.stringValue == "custom"
        )
    }
}
