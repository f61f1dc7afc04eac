import Core
import Testing

@testable import Sync

/// Each transform both ways with its edge cases, and the words a value it cannot convert fails with.
@Suite("Transforms")
struct TransformTests {
    /// CRM Deals ↔ Odoo leads, one pair per transform.
    static let deals = try! Mapping(
        json: JSONValue.parse(
            #"""
            {"name": "deals", "odoo_model": "crm.lead", "app": "crm", "object": "Deals", "match_odoo": "name", "match_zoho": "Deal_Name",
             "fields": [
               {"odoo": "date_deadline", "zoho": "Closing_Date", "transform": "date"},
               {"odoo": "date_closed", "zoho": "Closed_Time", "transform": "datetime"},
               {"odoo": "color", "zoho": "Employees", "transform": "integer"},
               {"odoo": "probability", "zoho": "Probability", "transform": "decimal"},
               {"odoo": "expected_revenue", "zoho": "Amount", "transform": "currency"},
               {"odoo": "prorated_revenue", "zoho": "Weighted_Amount", "transform": "decimal", "digits": 3},
               {"odoo": "x_renewal", "zoho": "Renewal", "transform": "boolean"},
               {"odoo": "priority", "zoho": "Rating", "transform": "selection", "values": {"0": "Cold", "1": "Warm", "2": "Hot"}},
               {"odoo": "stage_id", "zoho": "Stage", "transform": "many2one", "model": "crm.stage",
                "values": {"New": "Qualification", "Won": "Closed Won", "Lost": "Closed Lost"}},
               {"odoo": "team_id", "zoho": "Team", "transform": "many2one", "model": "crm.team", "by": "xml_id",
                "values": {"sales_team.team_sales_department": "Sales"}},
               {"odoo": "tag_ids", "zoho": "Segments", "transform": "tags", "model": "crm.tag"},
               {"odoo": "user_id", "zoho": "Owner", "transform": "user"}
             ]}
            """#
        )
    )

    static func pair(_ odoo: String) -> Mapping.FieldPair { deals.fields.first { $0.odoo == odoo }! }

    /// What a sync pass would have resolved: stages by name (Proposition only because a record points
    /// to it), a sales team by xml id, tags by name, and users of both sides.
    static let lookups: Lookups = {
        var l = Lookups()
        var stages = RecordIndex()
        stages.add("New", 1)
        stages.add("Proposition", 3)
        stages.add("Won", 4)
        l.records["crm.stage by name"] = stages
        l.displayNames["crm.stage"] = [1: "New", 3: "Proposition", 4: "Won"]
        var teams = RecordIndex()
        teams.add("sales_team.team_sales_department", 1)
        l.records["crm.team by xml_id"] = teams
        l.displayNames["crm.team"] = [1: "Sales", 5: "Website"]
        var tags = RecordIndex()
        tags.add("Retail", 11)
        tags.add("Public", 12)
        tags.add("Enterprise", 13)
        l.records["crm.tag by name"] = tags
        l.users.odoo = [
            2: .init(name: "Ada Admin", emails: ["admin@sim.zoho.local"], active: true),
            7: .init(name: "Sara Sales", emails: ["sales@sim.zoho.local"], active: true),
            9: .init(name: "Odd Contractor", emails: ["odd@example.com"], active: true),
        ]
        l.users.zohoByEmail = ["admin@sim.zoho.local": "z1", "sales@sim.zoho.local": "z3"]
        l.users.zohoEmail = ["z1": "admin@sim.zoho.local", "z3": "sales@sim.zoho.local"]
        return l
    }()

    /// The message a conversion fails with (naming mapping deals), or nil when it converts.
    static func failure(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch let error as ConversionError {
            return error.message(mapping: "deals")
        } catch {
            return "not a ConversionError: \(error)"
        }
    }

    /// A mapping of deals with this one pair.
    static func mapping(_ pair: JSONValue) throws -> Mapping {
        try Mapping(
            json: [
                "name": "deals", "odoo_model": "crm.lead", "app": "crm", "object": "Deals", "match_odoo": "name", "match_zoho": "Deal_Name",
                "fields": [pair],
            ]
        )
    }

    @Test("a date crosses as it is; a malformed or impossible date fails with what to correct")
    func dates() throws {
        let p = Self.pair("date_deadline")
        let l = Self.lookups
        #expect(try Values.zohoSide(p, ["Closing_Date": "2026-12-07"], l) == "2026-12-07")
        #expect(try Values.odooSide(p, ["date_deadline": "2024-02-29"]) == "2024-02-29")
        #expect(try Values.toZoho(p, "2026-12-07", l) == ["Closing_Date": "2026-12-07"])
        #expect(Values.toOdoo(p, "2026-12-07") == "2026-12-07")
        #expect(try Values.zohoSide(p, ["Closing_Date": .null], l) == .null)
        #expect(try Values.odooSide(p, ["date_deadline": false]) == .null)
        #expect(Values.toOdoo(p, .null) == false)
        #expect(
            Self.failure { try Values.zohoSide(p, ["Closing_Date": "2026-02-30"], l) }
                == "Zoho's Closing_Date '2026-02-30' is not a date such as 2026-12-07: correct it in Zoho"
        )
        for bad: JSONValue in [
            "07/12/2026", "2026-2-3", "2100-02-29", "2026-13-01", "2026-12-07T10:00:00+00:00", " 2026-12-07", "+026-12-07", 20_261_207,
        ] {
            #expect(Self.failure { try Values.zohoSide(p, ["Closing_Date": bad], l) } != nil, "\(bad)")
        }
        #expect(
            Self.failure { try Values.odooSide(p, ["date_deadline": "2026-04-31"]) }
                == "Odoo's date_deadline '2026-04-31' is not a date such as 2026-12-07: correct it in Odoo"
        )
    }

    @Test("a datetime is Zoho's offset time as Odoo's UTC; the same instant in another offset is in step and not rewritten")
    func dateTimes() throws {
        let p = Self.pair("date_closed")
        let l = Self.lookups
        for same: JSONValue in [
            "2026-12-07T10:15:00+05:30", "2026-12-07T04:45:00Z", "2026-12-06T23:45:00-05:00", "2026-12-07T10:15:00.250+05:30",
            "2026-12-07T10:15:00+0530",
        ] {
            #expect(try Values.zohoSide(p, ["Closed_Time": same], l) == "2026-12-07 04:45:00", "\(same)")
        }
        #expect(try Values.zohoSide(p, ["Closed_Time": "2026-01-01T02:00:00+05:30"], l) == "2025-12-31 20:30:00", "across midnight and the year")
        #expect(try Values.odooSide(p, ["date_closed": "2026-12-07 04:45:00"]) == "2026-12-07 04:45:00")
        #expect(try Values.toZoho(p, "2026-12-07 04:45:00", l) == ["Closed_Time": "2026-12-07T04:45:00+00:00"])
        #expect(
            Self.failure { try Values.zohoSide(p, ["Closed_Time": "2026-12-07T10:15:00"], l) }
                == "Zoho's Closed_Time '2026-12-07T10:15:00' is not a date and time such as 2026-12-07T10:15:00+05:30: correct it in Zoho",
            "without its offset the instant is unknown"
        )
        for bad: JSONValue in [
            "2026-12-07 10:15:00+05:30", "2026-12-07T24:00:00+00:00", "2026-12-07T10:15+05:30", "2026-12-07T10:15:00+5:30",
            "2026-12-07T10:15:00+15:00", "soon",
        ] {
            #expect(Self.failure { try Values.zohoSide(p, ["Closed_Time": bad], l) } != nil, "\(bad)")
        }
        #expect(Self.failure { try Values.odooSide(p, ["date_closed": "2026-12-07T04:45:00"]) } != nil, "Odoo writes a space, not a T")

        let m = try Self.mapping(["odoo": "date_closed", "zoho": "Closed_Time", "transform": "datetime"])
        let odoo: JSONValue = ["id": 1, "name": "Kiosk", "date_closed": "2026-12-07 04:45:00", "write_date": "2026-12-07 05:00:00"]
        let inIndia: JSONValue = [
            "id": "z", "Deal_Name": "Kiosk", "Closed_Time": "2026-12-07T10:15:00+05:30", "Modified_Time": "2026-12-07T11:00:00+05:30",
        ]
        let same = try Reconciler.decide(m, odoo: odoo, zoho: inIndia, binding: nil, lookups: l)
        #expect(same.zoho.isEmpty && same.odoo.isEmpty, "one instant, two offsets: nothing to write")
        let minuteLater: JSONValue = [
            "id": "z", "Deal_Name": "Kiosk", "Closed_Time": "2026-12-07T10:16:00+05:30", "Modified_Time": "2026-12-07T11:00:00+05:30",
        ]
        let moved = try Reconciler.decide(m, odoo: odoo, zoho: minuteLater, binding: nil, lookups: l)
        #expect(moved.odoo == ["date_closed": "2026-12-07 04:46:00"], "Zoho's later change wins, in Odoo's UTC")
    }

    @Test("an integer reads from a number or its text; anything else fails")
    func integers() throws {
        let p = Self.pair("color")
        let l = Self.lookups
        for same: JSONValue in [12, "12", 12.0, " 12 "] {
            #expect(try Values.zohoSide(p, ["Employees": same], l) == 12, "\(same)")
        }
        #expect(try Values.odooSide(p, ["color": 0]) == 0, "Odoo's 0 is a number, not empty")
        #expect(try Values.zohoSide(p, ["Employees": .null], l) == .null)
        #expect(try Values.toZoho(p, 12, l) == ["Employees": 12])
        #expect(
            Self.failure { try Values.zohoSide(p, ["Employees": "abc"], l) } == "Zoho's Employees 'abc' is not a whole number: correct it in Zoho"
        )
        for bad: JSONValue in [12.5, "12.5", true, ["n": 1]] {
            #expect(Self.failure { try Values.zohoSide(p, ["Employees": bad], l) } != nil, "\(bad)")
        }
    }

    @Test("decimals compare by value (12.5 and \"12.50\" agree); digits round half away from zero; currency has 2 unless said")
    func decimals() throws {
        let l = Self.lookups
        let plain = Self.pair("probability")
        let currency = Self.pair("expected_revenue")
        let three = Self.pair("prorated_revenue")
        #expect(currency.transform == .decimal(digits: 2))
        #expect(plain.transform == .decimal(digits: nil))
        #expect(try Values.zohoSide(plain, ["Probability": "12.50"], l) == 12.5)
        #expect(try Values.odooSide(plain, ["probability": 12.5]) == 12.5)
        #expect(try Values.zohoSide(plain, ["Probability": 0.1], l) == 0.1, "no binary noise added")
        #expect(try Values.zohoSide(plain, ["Probability": "1e3"], l) == 1000.0)
        #expect(try Values.zohoSide(currency, ["Amount": 12.345], l) == 12.35)
        #expect(try Values.odooSide(currency, ["expected_revenue": 12.344]) == 12.34)
        #expect(try Values.zohoSide(currency, ["Amount": "-0.005"], l) == -0.01)
        #expect(try Values.zohoSide(currency, ["Amount": 1.005], l) == 1.01, "rounded as written, not as the nearest double 1.00499…")
        #expect(try Values.zohoSide(three, ["Weighted_Amount": 1.0005], l) == 1.001)
        #expect(try Values.zohoSide(currency, ["Amount": .null], l) == .null)
        #expect(try Values.toZoho(currency, 12.5, l) == ["Amount": 12.5])
        #expect(Self.failure { try Values.zohoSide(currency, ["Amount": "1,5"], l) } == "Zoho's Amount '1,5' is not a number: correct it in Zoho")
        for bad: JSONValue in ["abc", "12.5.1", "nan", "inf", "0x1A", true] {
            #expect(Self.failure { try Values.zohoSide(currency, ["Amount": bad], l) } != nil, "\(bad)")
        }

        let m = try Self.mapping(["odoo": "expected_revenue", "zoho": "Amount", "transform": "currency"])
        let d = try Reconciler.decide(
            m,
            odoo: ["id": 1, "name": "Kiosk", "expected_revenue": 12.5, "write_date": "2026-12-07 05:00:00"],
            zoho: ["id": "z", "Deal_Name": "Kiosk", "Amount": "12.50", "Modified_Time": "2026-12-07T11:00:00+05:30"],
            binding: nil,
            lookups: l
        )
        #expect(d.zoho.isEmpty && d.odoo.isEmpty, "12.5 and \"12.50\" are one amount")
    }

    @Test("a boolean's false is a value, not empty: it crosses and it is compared; plain pairs keep false as empty")
    func booleans() throws {
        let p = Self.pair("x_renewal")
        let l = Self.lookups
        #expect(try Values.odooSide(p, ["x_renewal": false]) == false)
        #expect(try Values.zohoSide(p, ["Renewal": false], l) == false)
        #expect(try Values.zohoSide(p, ["Renewal": .null], l) == false, "an unticked box Zoho leaves out")
        #expect(try Values.zohoSide(p, ["Renewal": "true"], l) == true)
        #expect(try Values.toZoho(p, false, l) == ["Renewal": false])
        #expect(Values.toOdoo(p, false) == false)
        #expect(
            Self.failure { try Values.zohoSide(p, ["Renewal": "yes"], l) } == "Zoho's Renewal 'yes' is neither true nor false: correct it in Zoho"
        )

        let m = try Self.mapping(["odoo": "x_renewal", "zoho": "Renewal", "transform": "boolean"])
        let created = try Reconciler.decide(m, odoo: ["id": 1, "name": "Kiosk", "x_renewal": false], zoho: nil, binding: nil, lookups: l)
        #expect(created.zoho == ["Renewal": false], "a new Zoho record gets false, not nothing")
        let differ = try Reconciler.decide(
            m,
            odoo: ["id": 1, "name": "Kiosk", "x_renewal": false, "write_date": "2026-12-07 06:00:00"],
            zoho: ["id": "z", "Deal_Name": "Kiosk", "Renewal": true, "Modified_Time": "2026-12-07T11:00:00+05:30"],
            binding: nil,
            lookups: l
        )
        #expect(differ.zoho == ["Renewal": false], "Odoo's false, the newer, is not an empty value that would give way to Zoho's true")

        // The pairs that were there before: Odoo's false on a text field is empty, and is_company's false is "individual".
        let phone = try #require(BuiltinMappings.named("crm_contacts")?.fields.first { $0.odoo == "phone" })
        #expect(try Values.odooSide(phone, ["phone": false]) == .null)
        let subType = try #require(BuiltinMappings.named("books_contacts")?.fields.first { $0.odoo == "is_company" })
        #expect(try Values.toZoho(subType, Values.odooSide(subType, ["is_company": false]), l) == ["customer_sub_type": "individual"])
        #expect(try Values.zohoSide(subType, ["customer_sub_type": "business"], l) == true)
    }

    @Test("a selection crosses through its table both ways; a value outside the table fails instead of crossing as empty")
    func selections() throws {
        let p = Self.pair("priority")
        let l = Self.lookups
        #expect(try Values.zohoSide(p, ["Rating": "Hot"], l) == "2")
        #expect(try Values.toZoho(p, "2", l) == ["Rating": "Hot"])
        #expect(try Values.odooSide(p, ["priority": false]) == .null, "Odoo's unset selection is empty, not an unknown value")
        #expect(try Values.zohoSide(p, ["Rating": ""], l) == .null)
        #expect(try Values.toZoho(p, .null, l) == ["Rating": .null])
        #expect(
            Self.failure { try Values.zohoSide(p, ["Rating": "Lukewarm"], l) }
                == "Zoho's Rating 'Lukewarm' is not in mapping deals' value table for priority: add it to the table, or change it in Zoho"
        )
        #expect(
            Self.failure { try Values.toZoho(p, "3", l) }
                == "Odoo's priority '3' is not in mapping deals' value table for Rating: add it to the table, or change it in Odoo"
        )
        #expect(
            ConversionError(side: .zoho, pair: p, value: "x", problem: .notInTable).message(mapping: "crm_deal").contains(
                "mapping crm_deal's value table"
            )
        )
    }

    @Test("a picklist ↔ many2one goes through a table of Odoo records, by display name or xml id")
    func many2ones() throws {
        let stage = Self.pair("stage_id")
        let team = Self.pair("team_id")
        let l = Self.lookups
        #expect(try Values.zohoSide(stage, ["Stage": "Closed Won"], l) == 4)
        #expect(try Values.odooSide(stage, ["stage_id": [4, "Won"]]) == 4)
        #expect(try Values.toZoho(stage, 4, l) == ["Stage": "Closed Won"])
        #expect(try Values.odooSide(stage, ["stage_id": false]) == .null)
        #expect(try Values.toZoho(stage, .null, l) == ["Stage": .null])
        #expect(
            Self.failure { try Values.zohoSide(stage, ["Stage": "Negotiation/Review"], l) }
                == "Zoho's Stage 'Negotiation/Review' is not in mapping deals' value table for stage_id: add it to the table, or change it in Zoho"
        )
        #expect(
            Self.failure { try Values.zohoSide(stage, ["Stage": "Closed Lost"], l) }
                == "Zoho's Stage 'Closed Lost' stands for 'Lost' in mapping deals' value table for stage_id, and Odoo has no crm.stage 'Lost': correct the table, or create that record in Odoo"
        )
        #expect(
            Self.failure { try Values.toZoho(stage, 3, l) }
                == "Odoo's stage_id 'Proposition' is not in mapping deals' value table for Stage: add it to the table, or change it in Odoo"
        )
        #expect(try Values.zohoSide(team, ["Team": "Sales"], l) == 1)
        #expect(try Values.toZoho(team, 1, l) == ["Team": "Sales"])
        #expect(
            Self.failure { try Values.toZoho(team, 5, l) }?.hasPrefix("Odoo's team_id 'Website' is not in mapping deals' value table for Team")
                == true
        )
    }

    @Test("a multi-select ↔ many2many goes by the records' names, in any order")
    func tags() throws {
        let p = Self.pair("tag_ids")
        let l = Self.lookups
        #expect(try Values.zohoSide(p, ["Segments": ["Retail", "Public"]], l) == [11, 12])
        #expect(try Values.odooSide(p, ["tag_ids": [12, 11]]) == [11, 12])
        #expect(try Values.toZoho(p, [11, 12], l) == ["Segments": ["Public", "Retail"]])
        #expect(Values.toOdoo(p, [11, 12]) == [[6, 0, [11, 12]]])
        #expect(Values.toOdoo(p, .null) == [[6, 0, []]], "none left: the many2many is emptied")
        #expect(try Values.zohoSide(p, ["Segments": []], l) == .null)
        #expect(try Values.odooSide(p, ["tag_ids": []]) == .null)
        #expect(
            Self.failure { try Values.zohoSide(p, ["Segments": ["Retail", "Wholesale"]], l) }
                == "Zoho's Segments 'Wholesale' is the name of no crm.tag in Odoo: create it in Odoo, or change it in Zoho"
        )
        #expect(
            Self.failure { try Values.zohoSide(p, ["Segments": "Retail"], l) }
                == "Zoho's Segments 'Retail' is not a list of choices: correct it in Zoho"
        )

        let m = try Self.mapping(["odoo": "tag_ids", "zoho": "Segments", "transform": "tags", "model": "crm.tag"])
        let d = try Reconciler.decide(
            m,
            odoo: ["id": 1, "name": "Kiosk", "tag_ids": [12, 11], "write_date": "2026-12-07 05:00:00"],
            zoho: ["id": "z", "Deal_Name": "Kiosk", "Segments": ["Retail", "Public"], "Modified_Time": "2026-12-07T11:00:00+05:30"],
            binding: nil,
            lookups: l
        )
        #expect(d.zoho.isEmpty && d.odoo.isEmpty, "the same tags in another order")
    }

    @Test("a Zoho user ↔ an Odoo user by email, ignoring case; a user the other side lacks fails")
    func users() throws {
        let p = Self.pair("user_id")
        let l = Self.lookups
        #expect(try Values.zohoSide(p, ["Owner": ["id": "z3", "name": "Sim Sales", "email": "Sales@Sim.Zoho.local"]], l) == 7)
        #expect(try Values.zohoSide(p, ["Owner": ["id": "z1", "name": "Sim Admin"]], l) == 2, "an owner without its email, by Zoho's user list")
        #expect(try Values.odooSide(p, ["user_id": [7, "Sara Sales"]]) == 7)
        #expect(try Values.toZoho(p, 7, l) == ["Owner": ["id": "z3"]])
        #expect(
            Self.failure { try Values.zohoSide(p, ["Owner": ["id": "z8", "name": "Jane Roe", "email": "jane@example.com"]], l) }
                == "Zoho's Owner 'Jane Roe <jane@example.com>' has no Odoo user with the same email: give the Odoo user that email (or login), or change it in Zoho"
        )
        #expect(
            Self.failure { try Values.toZoho(p, 9, l) }
                == "Odoo's user_id 'Odd Contractor <odd@example.com>' has no Zoho user with the same email: give the user the same email on both sides, or change it in Odoo"
        )
        var shared = UserDirectory()
        shared.odoo = [
            3: .init(name: "Old Account", emails: ["ann@example.com"], active: false),
            8: .init(name: "Ann", emails: ["ann@example.com"], active: true),
        ]
        #expect(shared.odooID(email: "ann@example.com") == 8, "an active user before an archived one with the same email")
    }

    @Test("on a one-way pair a destination value the pair cannot read is overwritten; on a two-way pair it fails the record")
    func oneWayDestinations() throws {
        let l = Self.lookups
        let odoo: JSONValue = ["id": 1, "name": "Kiosk", "priority": "1", "write_date": "2026-12-07 05:00:00"]
        let zoho: JSONValue = ["id": "z", "Deal_Name": "Kiosk", "Rating": "Lukewarm", "Modified_Time": "2026-12-07T11:00:00+05:30"]
        let table: JSONValue = ["0": "Cold", "1": "Warm", "2": "Hot"]
        let toZoho = try Self.mapping(["odoo": "priority", "zoho": "Rating", "transform": "selection", "values": table, "direction": "to_zoho"])
        #expect(try Reconciler.decide(toZoho, odoo: odoo, zoho: zoho, binding: nil, lookups: l).zoho == ["Rating": "Warm"])
        let toOdoo = try Self.mapping(["odoo": "priority", "zoho": "Rating", "transform": "selection", "values": table, "direction": "to_odoo"])
        let odooOutside: JSONValue = ["id": 1, "name": "Kiosk", "priority": "3", "write_date": "2026-12-07 05:00:00"]
        let zohoHot: JSONValue = ["id": "z", "Deal_Name": "Kiosk", "Rating": "Hot", "Modified_Time": "2026-12-07T11:00:00+05:30"]
        #expect(try Reconciler.decide(toOdoo, odoo: odooOutside, zoho: zohoHot, binding: nil, lookups: l).odoo == ["priority": "2"])
        let both = try Self.mapping(["odoo": "priority", "zoho": "Rating", "transform": "selection", "values": table])
        #expect(
            Self.failure { try Reconciler.decide(both, odoo: odoo, zoho: zoho, binding: nil, lookups: l) }?.hasPrefix("Zoho's Rating 'Lukewarm'")
                == true
        )
        #expect(Self.failure { try Reconciler.decide(both, odoo: nil, zoho: zoho, binding: nil, lookups: l) } != nil, "nor is it created in Odoo")
        #expect(
            Self.failure { try Reconciler.decide(toZoho, odoo: nil, zoho: zoho, binding: nil, lookups: l) } == nil,
            "a to_zoho pair does not read Zoho"
        )
    }

    @Test("each transform's options come from the mapping's JSON, and a mistake in them is refused with what to change")
    func json() throws {
        #expect(Self.pair("date_deadline").transform == .date)
        #expect(Self.pair("date_closed").transform == .datetime)
        #expect(Self.pair("color").transform == .integer)
        #expect(Self.pair("prorated_revenue").transform == .decimal(digits: 3))
        #expect(Self.pair("x_renewal").transform == .boolean)
        #expect(Self.pair("priority").transform == .selection(["0": "Cold", "1": "Warm", "2": "Hot"]))
        #expect(
            Self.pair("team_id").transform
                == .many2one(.init(model: "crm.team", key: .xmlID, values: ["sales_team.team_sales_department": "Sales"]))
        )
        #expect(
            Self.pair("stage_id").transform
                == .many2one(.init(model: "crm.stage", key: .name, values: ["New": "Qualification", "Won": "Closed Won", "Lost": "Closed Lost"]))
        )
        #expect(Self.pair("tag_ids").transform == .tags(model: "crm.tag"))
        #expect(Self.pair("user_id").transform == .user)
        #expect(try Self.mapping(["odoo": "x", "zoho": "X", "transform": "currency", "digits": 0]).fields[0].transform == .decimal(digits: 0))

        func refusal(_ pair: JSONValue, app: String = "crm") -> String? {
            let json: JSONValue = [
                "name": "deals", "odoo_model": "crm.lead", "app": .string(app), "object": "Deals", "match_odoo": "name", "match_zoho": "Deal_Name",
                "fields": [pair],
            ]
            do {
                _ = try Mapping(json: json)
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(
            refusal(["odoo": "stage_id", "zoho": "Stage", "transform": "many2one", "values": ["New": "Qualification"]])
                == "mapping deals: field stage_id: model names the Odoo model of the records, such as crm.tag"
        )
        #expect(
            refusal(["odoo": "priority", "zoho": "Rating", "transform": "selection", "values": ["1": "Warm", "2": "Warm"]])
                == "mapping deals: field priority: values gives Zoho's 'Warm' to '1' and '2': read back from Zoho, each Zoho value must stand for one Odoo value"
        )
        #expect(
            refusal(["odoo": "priority", "zoho": "Rating", "transform": "selection", "values": ["1": "Warm", "2": "Warm"], "direction": "to_zoho"])
                == nil,
            "a table only written to Zoho may give two Odoo values one Zoho value"
        )
        #expect(
            refusal(["odoo": "x", "zoho": "X", "transform": "decimal", "digits": 13])
                == "mapping deals: field x: digits is a number of decimal places from 0 to 12, such as 2"
        )
        #expect(
            refusal([
                "odoo": "stage_id", "zoho": "Stage", "transform": "many2one", "model": "crm.stage", "by": "xml_id", "values": ["stage_lead1": "New"],
            ])
                == "mapping deals: field stage_id: 'stage_lead1' in values is not an xml id such as crm.stage_lead1"
        )
        #expect(
            refusal(["odoo": "stage_id", "zoho": "Stage", "transform": "many2one", "model": "crm.stage", "by": "id", "values": ["1": "New"]]) != nil
        )
        #expect(refusal(["odoo": "priority", "zoho": "Rating", "transform": "selection"]) != nil, "a selection without its table")
        #expect(refusal(["odoo": "tag_ids", "zoho": "Segments", "transform": "tags"]) != nil)
        #expect(
            refusal(["odoo": "user_id", "zoho": "owner", "transform": "user"], app: "books")
                == "mapping deals: field user_id: user maps Zoho CRM's users, and books has none"
        )
        #expect(refusal(["odoo": "date", "zoho": ["A", "B"], "transform": "date"]) == "mapping deals: field date: date takes one Zoho field")
        #expect(refusal(["odoo": "x", "zoho": "X", "transform": "money"]) == "mapping deals: unknown transform money")
    }

    @Test("a sync pass asks Odoo once per model for what its records name: stages by the table, tags by name and id, users by id and email")
    func wanted() throws {
        var names: [String: [Int64: String]] = [:]
        let odoo: [JSONValue] = [
            ["id": 1, "stage_id": [3, "Proposition"], "tag_ids": [12, 11], "user_id": [7, "Sara Sales"]],
            ["id": 2, "stage_id": false, "tag_ids": [13], "user_id": false],
        ]
        let zoho: [JSONValue] = [["Segments": ["Retail", "Wholesale"], "Owner": ["id": "z1", "email": "Admin@Sim.Zoho.local"]]]
        let w = Wanted(Self.deals, odoo: odoo, zoho: zoho, names: &names)
        #expect(names["crm.stage"] == [3: "Proposition"], "kept for a message about a stage outside the table")
        #expect(w.records["crm.stage by name"]?.keys == ["New", "Won", "Lost"])
        #expect(w.records["crm.stage by name"]?.ids == [3])
        #expect(w.records["crm.team by xml_id"]?.keys == ["sales_team.team_sales_department"])
        #expect(w.records["crm.tag by name"]?.keys == ["Retail", "Wholesale"])
        #expect(w.records["crm.tag by name"]?.ids == [11, 12, 13])
        #expect(w.userIDs == [7])
        #expect(w.userEmails == ["admin@sim.zoho.local"])
        #expect(w.zohoUsers, "an Odoo salesperson goes to Zoho: Zoho's users are needed")
        let ids = SyncEngine.leaf("id", in: [1, 2])
        let byName = SyncEngine.leaf("display_name", in: ["A"])
        #expect(SyncEngine.anyOf(ids + byName + SyncEngine.leaf("login", in: [])) == ["|", ["id", "in", [1, 2]], ["display_name", "in", ["A"]]])
        #expect(SyncEngine.anyOf(byName) == [["display_name", "in", ["A"]]])
    }
}
