import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// Posts callbacks and webhooks to their URLs in the order the changes happened (reordering is a
/// misbehaviour the control API switches on), one delivery after another, as Zoho's sender would.
/// A configured delay is a latency: each batch leaves that long after its changes, however many wait.
public final class Notifier: Sendable {
    let client: HTTPClient
    struct Work: Sendable {
        let batch: [SimState.Delivery]
        let due: ContinuousClock.Instant
        let timeoutSeconds: Double
        let retries: Int
        let state: SimState
    }
    private let queue: AsyncStream<Work>.Continuation
    private let outstanding = Outstanding()

    /// Deliveries handed over and not sent yet (waiting for their time, or being retried).
    public var pending: Int { outstanding.count.withLock { $0 } }

    final class Outstanding: Sendable {
        let count = Mutex(0)
    }

    public init(client: HTTPClient = .shared) {
        self.client = client
        let (stream, continuation) = AsyncStream.makeStream(of: Work.self)
        self.queue = continuation
        Task { [client, outstanding] in
            for await work in stream {
                await Self.deliver(work, client: client)
                outstanding.count.withLock { $0 -= work.batch.count }
            }
        }
    }

    func send(_ batch: [SimState.Delivery], delayMilliseconds: Int, timeoutSeconds: Double, retries: Int, state: SimState) {
        outstanding.count.withLock { $0 += batch.count }
        let due = ContinuousClock.now + .milliseconds(delayMilliseconds)
        queue.yield(Work(batch: batch, due: due, timeoutSeconds: timeoutSeconds, retries: retries, state: state))
    }

    static func deliver(_ work: Work, client: HTTPClient) async {
        let (batch, timeoutSeconds, retries, state) = (work.batch, work.timeoutSeconds, work.retries, work.state)
        try? await Task.sleep(until: work.due)
        for var delivery in batch {
            for attempt in 0...retries {
                delivery.attempts = attempt + 1
                do {
                    var request = HTTPClientRequest(url: delivery.url)
                    request.method = .POST
                    for (k, v) in delivery.headers { request.headers.add(name: k, value: v) }
                    request.body = .bytes(ByteBuffer(string: delivery.body))
                    let response = try await client.execute(request, timeout: .milliseconds(Int64(timeoutSeconds * 1000)))
                    _ = try? await response.body.collect(upTo: 1 << 20)
                    delivery.status = Int(response.status.code)
                    delivery.error = nil
                    if (200..<300).contains(delivery.status!) { break }
                } catch {
                    delivery.error = String(describing: error)
                }
            }
            await state.recordDelivery(delivery)
        }
    }
}
