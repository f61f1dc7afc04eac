import Core
import Foundation

/// One CRM field as Zoho's Fields Metadata API describes it (`GET /crm/v8/settings/fields?module=`),
/// and as record writes are validated against. Custom fields are kept in the simulator's state,
/// so this type is Codable.
struct CRMField: Codable, Sendable, Equatable {
    /// Zoho's `data_type` values the simulator knows (create-custom-field: "Field Types: Data Types
    /// and Length Limits"; ownerlookup and datetime from the Fields Metadata examples).
    enum DataType: String, Codable, Sendable, CaseIterable {
        case text, textarea, email, phone, website, picklist, multiselectpicklist, date, datetime
        case integer, double, currency, percent, boolean, lookup, ownerlookup

        /// Zoho's `json_type`: how the value travels in record JSON.
        var jsonType: String {
            switch self {
            case .integer: "integer"
            case .double, .currency, .percent: "double"
            case .boolean: "boolean"
            case .lookup, .ownerlookup: "jsonobject"
            case .multiselectpicklist: "jsonarray"
            default: "string"
            }
        }

        /// The lengths Zoho allows a custom field of this type, and the one it takes when none is
        /// given (create-custom-field's table; types absent from it have no length to choose).
        var lengths: (allowed: ClosedRange<Int>, standard: Int)? {
            switch self {
            case .text: (1...255, 255)
            case .textarea: (2000...50000, 32000)
            case .email: (1...100, 100)
            case .phone: (1...30, 30)
            case .integer: (1...9, 9)
            case .currency: (1...16, 16)
            case .percent: (1...5, 5)
            case .double: (1...18, 16)
            case .website: (1...450, 255)
            default: nil
            }
        }
    }

    /// A picklist option: records carry `display_value` (Kaizen #205: "Use the display_value in API
    /// requests during create, update, and upsert operations").
    struct PicklistValue: Codable, Sendable, Equatable {
        var display: String
        var actual: String
    }

    var id: String
    var apiName: String
    var label: String
    var dataType: DataType
    var length: Int
    var mandatory = false
    /// Nobody may write it through the API (Zoho sets it: times, creators, computed values).
    var readOnly = false
    var custom = false
    var picklist: [PicklistValue] = []
    var lookupModule: String? = nil

    /// The field's entry in `/settings/fields`: the keys the brief of a mapping needs, plus those of
    /// Zoho's FieldSchema (crm-oas v8.0 fields) that a client may expect to be present.
    func metadata() -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(id),
            "api_name": .string(apiName),
            "field_label": .string(label),
            "display_label": .string(label),
            "data_type": .string(dataType.rawValue),
            "json_type": .string(dataType.jsonType),
            "custom_field": .bool(custom),
            "read_only": .bool(readOnly),
            "field_read_only": .bool(readOnly || dataType == .ownerlookup),
            "system_mandatory": .bool(mandatory),
            "length": .int(Int64(length)),
            "visible": true,
            "type": "used",
            "webhook": true,
            "created_source": .string(custom ? "crm_ui" : "default"),
            "operation_type": [
                "api_create": .bool(!readOnly), "api_update": .bool(!readOnly), "web_create": .bool(!readOnly),
                "web_update": .bool(!readOnly),
            ],
            "pick_list_values": .array(picklist.enumerated().map { Self.option($0.element, $0.offset) }),
            "lookup": [:],
            "unique": [:],
            "currency": [:],
            "formula": [:],
            "auto_number": [:],
            "multi_module_lookup": [:],
            "decimal_place": [.double, .currency].contains(dataType) ? 2 : .null,
        ]
        if let lookupModule {
            o["lookup"] = [
                "api_name": .string(apiName), "display_label": .string(label),
                "module": ["api_name": .string(lookupModule), "id": .string(CRMCatalogue.module(lookupModule)?.id ?? "")],
            ]
        }
        return .object(o)
    }

    static func option(_ value: PicklistValue, _ index: Int) -> JSONValue {
        [
            "display_value": .string(value.display), "actual_value": .string(value.actual), "reference_value": .string(value.display),
            "sequence_number": .int(Int64(index + 1)), "type": "used",
        ]
    }
}
