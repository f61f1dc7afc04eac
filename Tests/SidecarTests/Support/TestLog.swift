import Core
import Foundation
import Logging
import Synchronization

/// The whole suite's log, for the scan for secrets that CI runs after the tests (scripts/scan-test-logs):
/// with `ZS_TEST_LOG_DIR` set, every log line of the process (through the sidecar's own masking
/// handler) goes to a file there, and tests note each secret they use in a second file.
enum TestLog {
    static let directory = ProcessInfo.processInfo.environment["ZS_TEST_LOG_DIR"]
    private static let files = Mutex<(log: FileHandle?, secrets: FileHandle?)>((open("swift-\(getpid()).log"), open("secrets-swift-\(getpid()).txt")))

    private static func open(_ name: String) -> FileHandle? {
        guard let directory else { return nil }
        let path = (directory as NSString).appendingPathComponent(name)
        FileManager.default.createFile(atPath: path, contents: nil)
        return FileHandle(forWritingAtPath: path)
    }

    /// Every logger made without an explicit handler logs through the masking handler into the file.
    static let bootstrapped: Void = {
        LoggingSystem.bootstrap { SidecarLogHandler(label: $0, level: .debug, format: .text, sink: TestLog.write) }
    }()

    @Sendable static func write(_ line: String) {
        files.withLock { _ = try? $0.log?.write(contentsOf: Data((line + "\n").utf8)) }
    }

    /// A secret this test uses: the scan fails if it shows up in any log line.
    static func secret(_ value: String) {
        files.withLock { _ = try? $0.secrets?.write(contentsOf: Data((value + "\n").utf8)) }
    }
}
