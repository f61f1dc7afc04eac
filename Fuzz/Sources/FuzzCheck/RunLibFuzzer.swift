import CLibFuzzer
import Foundation

/// A harness's main: libFuzzer's driver (its flags, corpus directories, crash files) over `test`.
/// SwiftPM links an executable target's `main` to the target's own entry point, so libFuzzer's
/// main, which calls `LLVMFuzzerTestOneInput`, is linked but never runs; a harness defines both.
public func runLibFuzzer(_ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
}
