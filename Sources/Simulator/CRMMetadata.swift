import Core
import Foundation

/// CRM's metadata APIs: `GET /settings/modules[/{api_name}]` and `GET /settings/fields?module=`
/// (crm-oas v8.0 getModules, getModuleByApiName, getFields).
extension SimState {
    /// `route` is what follows `settings/`.
    func settings(_ r: SimRequest, _ route: [String]) -> SimResponse {
        guard r.method == "GET" else { return route.isEmpty ? CRMError.notFound : CRMError.methodNotAllowed }
        switch route.first {
        case "modules" where route.count == 1:
            return .json(200, ["modules": .array(CRMCatalogue.modules.enumerated().map { moduleMetadata($0.element, $0.offset) })])
        case "modules" where route.count == 2:
            guard let index = CRMCatalogue.modules.firstIndex(where: { $0.apiName == route[1] }) else { return Self.invalidModule }
            return .json(200, ["modules": [moduleMetadata(CRMCatalogue.modules[index], index)]])
        case "fields" where route.count == 1:
            guard let module = r.query["module"], !module.isEmpty else {
                return CRMError.response(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", ["param": "module"])
            }
            guard CRMCatalogue.names.contains(module) else { return Self.invalidModule }
            return .json(200, ["fields": .array(orgs[r.dc]!.fields(module).map { $0.metadata() })])
        default:
            return CRMError.notFound
        }
    }

    static let invalidModule = CRMError.response(
        400,
        "INVALID_MODULE",
        "the module name given seems to be invalid",
        ["resource_path_index": 0]
    )

    /// A module as the Modules Metadata API lists it (the keys of crm-oas v8.0's getModules example).
    func moduleMetadata(_ m: CRMCatalogue.Module, _ index: Int) -> JSONValue {
        [
            "id": .string(m.id),
            "api_name": .string(m.apiName),
            "module_name": .string(m.apiName),
            "singular_label": .string(m.singular),
            "plural_label": .string(m.plural),
            "actual_singular_label": .string(m.singular),
            "actual_plural_label": .string(m.plural),
            "generated_type": "default",
            "status": "visible",
            "visibility": 1,
            "sequence_number": .int(Int64(index + 2)),
            "api_supported": true,
            "creatable": true,
            "editable": true,
            "deletable": true,
            "viewable": true,
            "lookupable": true,
            "convertable": .bool(m.apiName == "Leads"),
            "quick_create": true,
            "global_search_supported": true,
            "show_as_tab": true,
            "access_type": "org_based",
            "modified_time": .null,
            "modified_by": .null,
            "description": .null,
            "web_link": .null,
            "arguments": [],
            "parent_module": [:],
            "profiles": [["name": "Administrator", "id": "5725767000000026011"]],
        ]
    }
}
