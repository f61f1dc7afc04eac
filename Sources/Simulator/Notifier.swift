import AsyncHTTPClient
import Foundation
import NIOCore

/// Posts callbacks and webhooks to their URLs, one task per batch so a slow receiver holds up nothing else.
public final class Notifier: Sendable {
    let client: HTTPClient

    public init(client: HTTPClient = .shared) { self.client = client }

    func send(_ batch: [SimState.Delivery], delayMilliseconds: Int, timeoutSeconds: Double, retries: Int, state: SimState) async {
        if delayMilliseconds > 0 { try? await Task.sleep(for: .milliseconds(delayMilliseconds)) }
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
