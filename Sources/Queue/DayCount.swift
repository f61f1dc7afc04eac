import Core

/// Calls made within the last day, counted in 24 buckets per day. Zoho's daily quota may be a
/// rolling day or a calendar day (the facts file does not say), so the count covers every bucket
/// that overlaps the last day: it never counts fewer calls than either, at most an hour's worth more.
struct DayCount {
    var daySeconds: Double
    private var buckets: [Int64: Int] = [:]

    init(daySeconds: Double) {
        self.daySeconds = daySeconds
    }

    private var bucketMicros: Int64 { max(1, Int64(daySeconds * 1e6 / 24)) }

    private func bucket(_ now: Micros) -> Int64 { now / bucketMicros }

    /// The oldest bucket still within a day of `now`.
    private func first(_ now: Micros) -> Int64 { bucket(now) - 24 }

    mutating func add(now: Micros) {
        buckets[bucket(now), default: 0] += 1
        let first = first(now)
        buckets = buckets.filter { $0.key >= first }
    }

    func count(now: Micros) -> Int {
        let first = first(now)
        return buckets.filter { $0.key >= first }.values.reduce(0, +)
    }

    /// When the oldest counted bucket leaves the day, freeing its calls.
    func nextFree(now: Micros) -> Micros {
        let first = first(now)
        let oldest = buckets.keys.filter { $0 >= first }.min() ?? bucket(now)
        return (oldest + 25) * bucketMicros
    }
}
