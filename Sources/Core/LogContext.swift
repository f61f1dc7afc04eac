import Logging

/// Correlation ids for log lines: set around an HTTP request or a job's run, they appear on every
/// line logged inside it, whichever logger writes it.
public enum LogContext {
    @TaskLocal public static var requestID: String?
    @TaskLocal public static var jobID: Int64?

    static var metadata: Logger.Metadata {
        var m: Logger.Metadata = [:]
        if let requestID { m["request_id"] = .string(requestID) }
        if let jobID { m["job_id"] = .string(String(jobID)) }
        return m
    }
}
