import Foundation

/// Times are stored as microseconds since the Unix epoch (UTC) on both engines: one integer column
/// compares, sorts and indexes the same everywhere, and converts to Odoo's text form only at the edge.
public typealias Micros = Int64

public enum Clock {
    public static func now() -> Micros {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    /// Odoo's datetime text: "YYYY-MM-DD HH:MM:SS", UTC.
    public static func odooString(_ micros: Micros) -> String {
        var seconds = time_t(micros / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // By hand rather than String(format:), which pulls in Foundation's formatting (and ICU) at start-up.
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let year = String(Int(parts.tm_year) + 1900)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year + "-" + two(parts.tm_mon + 1) + "-" + two(parts.tm_mday)
            + " " + two(parts.tm_hour) + ":" + two(parts.tm_min) + ":" + two(parts.tm_sec)
    }

    /// Parses Odoo's "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD" (UTC), and ISO-8601 with a 'T' and an offset.
    public static func parseOdoo(_ text: String) -> Micros? {
        let s = text.trimmingCharacters(in: .whitespaces)
        let digits = s.split(whereSeparator: { "-: T".contains($0) })
        guard digits.count == 3 || digits.count >= 6 else { return nil }
        var parts = tm()
        guard let y = Int32(digits[0]), let mo = Int32(digits[1]) else { return nil }
        parts.tm_year = y - 1900
        parts.tm_mon = mo - 1
        if digits.count == 3 {
            guard let d = Int32(digits[2]) else { return nil }
            parts.tm_mday = d
        } else {
            guard let d = Int32(digits[2]), let h = Int32(digits[3]), let mi = Int32(digits[4]) else { return nil }
            parts.tm_mday = d
            parts.tm_hour = h
            parts.tm_min = mi
            // Seconds may carry a fraction or an offset ("05+05:30", "05Z").
            let secText = digits[5].prefix(while: { $0.isNumber })
            guard let sec = Int32(secText) else { return nil }
            parts.tm_sec = sec
        }
        guard (1...12).contains(parts.tm_mon + 1), (1...31).contains(parts.tm_mday),
            (0...23).contains(parts.tm_hour), (0...59).contains(parts.tm_min), (0...60).contains(parts.tm_sec)
        else { return nil }
        var micros = Int64(timegm(&parts)) * 1_000_000
        if let offset = isoOffsetSeconds(s) { micros -= Int64(offset) * 1_000_000 }
        return micros
    }

    private static func isoOffsetSeconds(_ s: String) -> Int? {
        guard s.contains("T"), let tIndex = s.firstIndex(of: "T") else { return nil }
        let tail = s[tIndex...]
        guard let signIndex = tail.lastIndex(where: { $0 == "+" || $0 == "-" }) else { return nil }
        let parts = tail[tail.index(after: signIndex)...].split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]) else { return nil }
        let sign = tail[signIndex] == "-" ? -1 : 1
        return sign * (h * 3600 + m * 60)
    }
}
