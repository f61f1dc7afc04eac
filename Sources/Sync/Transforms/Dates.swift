import Core

/// Dates and times. Odoo keeps a date as `2026-12-07` and a datetime in UTC as `2026-12-07 04:45:00`;
/// Zoho's dates look the same, and its datetimes carry their offset (`2026-12-07T10:15:00+05:30`).
/// Datetimes are compared as instants, in Odoo's UTC form, so one instant in two offsets is one value.
enum Dates {
    /// A date either side holds, checked; empty is null.
    static func date(_ raw: JSONValue, _ c: Conversion) throws(ConversionError) -> JSONValue {
        let value = Values.empty(raw)
        if value.isNull { return .null }
        guard let text = value.stringValue, day(text[...]) != nil else { throw c.failure(raw, .notADate) }
        return .string(text)
    }

    /// Odoo's UTC datetime, checked.
    static func odooDateTime(_ raw: JSONValue, _ c: Conversion) throws(ConversionError) -> JSONValue {
        let value = Values.empty(raw)
        if value.isNull { return .null }
        guard let text = value.stringValue, let seconds = instant(text, zoho: false) else { throw c.failure(raw, .notADateTime) }
        return .string(Clock.odooString(seconds * 1_000_000))
    }

    /// Zoho's datetime as the same instant in Odoo's UTC form.
    static func zohoDateTime(_ raw: JSONValue, _ c: Conversion) throws(ConversionError) -> JSONValue {
        let value = Values.empty(raw)
        if value.isNull { return .null }
        guard let text = value.stringValue, let seconds = instant(text, zoho: true) else { throw c.failure(raw, .notADateTime) }
        return .string(Clock.odooString(seconds * 1_000_000))
    }

    /// Zoho's form of an Odoo UTC datetime: the same instant, offset +00:00.
    static func toZoho(_ value: JSONValue) -> JSONValue {
        guard let text = value.stringValue else { return .null }
        return .string(text.replacingOccurrences(of: " ", with: "T") + "+00:00")
    }

    /// Seconds since 1970 of `YYYY-MM-DD HH:MM:SS` (Odoo) or `YYYY-MM-DDTHH:MM:SS±HH:MM` (Zoho, which
    /// may also write `Z` or a fraction of a second; the fraction is dropped, as Odoo keeps seconds).
    static func instant(_ text: String, zoho: Bool) -> Int64? {
        guard let split = text.firstIndex(of: zoho ? "T" : " "), let days = Self.day(text[..<split]) else { return nil }
        var rest = text[text.index(after: split)...]
        guard let time = Self.clock(rest.prefix(8)) else { return nil }
        rest = rest.dropFirst(8)
        var offset: Int64 = 0
        if zoho {
            if rest.first == "." { rest = rest.dropFirst().drop(while: \.isASCIIDigit) }
            guard let zone = Self.offset(rest) else { return nil }
            offset = zone
        } else {
            guard rest.isEmpty else { return nil }
        }
        return days * 86_400 + time - offset
    }

    /// Days since 1970-01-01 of a valid `YYYY-MM-DD` (no 31 April, no 29 February outside leap years).
    static func day(_ text: Substring) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = number(parts[0]), let m = number(parts[1]), let d = number(parts[2]),
            (1...12).contains(m), d >= 1, d <= daysIn(month: m, year: y)
        else { return nil }
        // Days from the civil date (H. Hinnant's algorithm), with years starting in March.
        let year = m <= 2 ? y - 1 : y
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Seconds into the day of `HH:MM:SS`.
    static func clock(_ text: Substring) -> Int64? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ $0.count == 2 }),
            let h = number(parts[0]), let m = number(parts[1]), let s = number(parts[2]),
            h < 24, m < 60, s < 60
        else { return nil }
        return h * 3600 + m * 60 + s
    }

    /// Seconds east of UTC of `Z`, `+05:30` or `-0800`.
    static func offset(_ text: Substring) -> Int64? {
        if text == "Z" { return 0 }
        guard let sign = text.first, sign == "+" || sign == "-" else { return nil }
        let digits = text.dropFirst().filter { $0 != ":" }
        guard digits.count == 4, text.count == (text.contains(":") ? 6 : 5),
            let h = number(digits.prefix(2)), let m = number(digits.suffix(2)), h <= 14, m < 60
        else { return nil }
        return (sign == "-" ? -1 : 1) * (h * 3600 + m * 60)
    }

    /// A run of ASCII digits as a number; nil for anything else (a sign, a space).
    static func number(_ text: some StringProtocol) -> Int64? {
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit) else { return nil }
        return Int64(text)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
