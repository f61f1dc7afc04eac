import Core

/// One field of a Zoho CRM module or Books entity, as its metadata API describes it: what a mapping
/// made by a person can be checked against before a record is sent.
public struct ZohoField: Sendable, Equatable {
    /// A field's type in CRM's vocabulary (Fields Metadata `data_type`); Books' types are translated
    /// into it. A type this version does not know is kept by name, never refused.
    public enum DataType: Sendable, Hashable {
        case text, textarea, email, phone, website, picklist, multiselectpicklist, date, datetime
        case integer, bigint, double, currency, percent, boolean, lookup, ownerlookup, autonumber, formula
        case other(String)

        static let known: [String: DataType] = [
            "text": .text, "textarea": .textarea, "email": .email, "phone": .phone, "website": .website, "picklist": .picklist,
            "multiselectpicklist": .multiselectpicklist, "date": .date, "datetime": .datetime, "integer": .integer, "bigint": .bigint,
            "double": .double, "currency": .currency, "percent": .percent, "boolean": .boolean, "lookup": .lookup,
            "ownerlookup": .ownerlookup, "autonumber": .autonumber, "formula": .formula,
        ]

        /// Books' custom field types (zoho.com/books/api/v3/custom-fields) in CRM's words.
        static let books: [String: DataType] = [
            "string": .text, "multiline": .textarea, "email": .email, "phone": .phone, "url": .website, "dropdown": .picklist,
            "multiselect": .multiselectpicklist, "date": .date, "datetime": .datetime, "number": .integer, "decimal": .double,
            "amount": .currency, "percent": .percent, "check_box": .boolean, "lookup": .lookup, "autonumber": .autonumber,
            "formula": .formula,
        ]

        public init(crm name: String) { self = Self.known[name] ?? .other(name) }

        public init(books name: String) { self = Self.books[name] ?? .other(name) }

        public var name: String {
            if case .other(let name) = self { return name }
            return Self.known.first { $0.value == self }?.key ?? "?"
        }
    }

    /// A picklist option: records carry the display value.
    public struct Option: Sendable, Equatable {
        public let displayValue: String
        public let actualValue: String

        public init(displayValue: String, actualValue: String) {
            self.displayValue = displayValue
            self.actualValue = actualValue
        }
    }

    public let apiName: String
    public let label: String
    public let dataType: DataType
    /// How the value travels in record JSON (`string`, `integer`, `double`, `boolean`, `jsonobject`,
    /// `jsonarray`), when Zoho says.
    public let jsonType: String?
    public let custom: Bool
    /// Not writable through the API.
    public let readOnly: Bool
    /// Required on create (CRM's `system_mandatory`, Books' `is_mandatory`).
    public let mandatory: Bool
    public let length: Int?
    public let picklist: [Option]
    /// The module a lookup points at.
    public let lookupModule: String?

    public init(
        apiName: String,
        label: String,
        dataType: DataType,
        jsonType: String? = nil,
        custom: Bool = false,
        readOnly: Bool = false,
        mandatory: Bool = false,
        length: Int? = nil,
        picklist: [Option] = [],
        lookupModule: String? = nil
    ) {
        self.apiName = apiName
        self.label = label
        self.dataType = dataType
        self.jsonType = jsonType
        self.custom = custom
        self.readOnly = readOnly
        self.mandatory = mandatory
        self.length = length
        self.picklist = picklist
        self.lookupModule = lookupModule
    }

    /// An entry of CRM's `GET /settings/fields`. Read-only is the current user's `read_only`, or the API
    /// allowing neither create nor update (`operation_type`); `field_read_only` is not used, since
    /// Zoho sets it on Owner, which the API writes.
    public init?(crm json: JSONValue) {
        guard let apiName = json["api_name"]?.stringValue, let type = json["data_type"]?.stringValue else { return nil }
        let operations = json["operation_type"]
        let apiWritable = operations?["api_create"]?.boolValue != false || operations?["api_update"]?.boolValue != false
        self.init(
            apiName: apiName,
            label: json["field_label"]?.stringValue ?? json["display_label"]?.stringValue ?? apiName,
            dataType: DataType(crm: type),
            jsonType: json["json_type"]?.stringValue,
            custom: json["custom_field"]?.boolValue ?? false,
            readOnly: json["read_only"]?.boolValue == true || !apiWritable,
            mandatory: json["system_mandatory"]?.boolValue ?? false,
            length: json["length"]?.intValue.map(Int.init),
            picklist: (json["pick_list_values"]?.arrayValue ?? []).compactMap { option in
                guard let display = option["display_value"]?.stringValue else { return nil }
                return Option(displayValue: display, actualValue: option["actual_value"]?.stringValue ?? display)
            },
            lookupModule: json["lookup"]?["module"]?["api_name"]?.stringValue
        )
    }

    /// An entry of Books' `GET /settings/fields?entity=`: custom fields by their `cf_` api name.
    public init?(books json: JSONValue) {
        guard let apiName = json["api_name"]?.stringValue ?? json["placeholder"]?.stringValue ?? json["field_name"]?.stringValue,
            let type = json["data_type"]?.stringValue
        else { return nil }
        self.init(
            apiName: apiName,
            label: json["label"]?.stringValue ?? apiName,
            dataType: DataType(books: type),
            custom: json["is_custom_field"]?.boolValue ?? (json["customfield_id"] != nil),
            readOnly: json["is_read_only"]?.boolValue ?? false,
            mandatory: json["is_mandatory"]?.boolValue ?? false,
            picklist: (json["values"]?.arrayValue ?? []).compactMap { option in
                (option["name"]?.stringValue ?? option.stringValue).map { Option(displayValue: $0, actualValue: $0) }
            }
        )
    }
}
