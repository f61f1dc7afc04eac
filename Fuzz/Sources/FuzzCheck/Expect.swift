/// Ends the process with `message` when `property` is false: libFuzzer saves the input as a crash.
/// fatalError, not precondition, so the message is printed in optimized builds too.
public func expect(_ property: Bool, _ message: @autoclosure () -> String) {
    if !property {
        fatalError(message())
    }
}
