/// What an error message a caller reads must never say. Shared by the tests (the mutation fuzzer,
/// the security tests) and the libFuzzer harnesses in Fuzz/, which check every error they provoke.
public enum Leaks {
    /// What only a store or SQL failure says: the layers above must turn every bad input into their own error.
    public static func looksLikeStoreError(_ message: String) -> Bool {
        let m = message.lowercased()
        return ["syntax error", "sqlite", "psql", "postgres", "sqlstate", "no such column", "no such table", "unrecognized token"].contains {
            m.contains($0)
        }
    }

    /// What a person must never read in an error: Swift type names and coding keys, source or data
    /// file paths, SQL.
    public static func looksLikeInternals(_ message: String) -> Bool {
        let markers = [
            "DecodingError", "CodingKeys", "Swift.", ".swift", "Optional(", "NIOCore", "SQLiteNIO", "PostgresNIO",
            "/work/", "/tmp/", "/root/", ".sqlite", "SELECT ", "INSERT INTO", "UPDATE jobs", "DELETE FROM",
        ]
        return markers.contains { message.contains($0) }
    }
}
