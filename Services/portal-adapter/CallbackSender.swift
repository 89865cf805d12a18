import Delivery
import Foundation
import HTTPClient
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime

/// Sends stored portal events to the department's callback URL, signed; retried through the job table.
final class CallbackSender: Sendable {
    let pool: ConnectionPool
    let logger: Logger
    let configuration: HTTPClientConfiguration
    private let clients: ReusePool<HTTPClient>
    private let delivered, refused: Counter

    init(
        pool: ConnectionPool, logger: Logger, metrics: MetricsRegistry,
        configuration: HTTPClientConfiguration = HTTPClientConfiguration(timeout: .seconds(10))
    ) {
        self.pool = pool
        self.logger = logger
        self.configuration = configuration
        clients = ReusePool { try HTTPClient(configuration: configuration) }
        delivered = metrics.counter(
            "dakiya_callbacks_delivered_total", help: "Status events the portal accepted (2xx).")
        refused = metrics.counter(
            "dakiya_callbacks_failed_attempts_total", help: "Callback attempts answered with an error or not answered.")
    }

    func handle(_ job: ClaimedJob) throws {
        let request = try Jobs.callbackDeliver.payload(of: job)
        let loaded = try pool.withConnection { connection in
            try connection.query(
                """
                SELECT e.body, e.delivered_at IS NOT NULL, dp.callback_url, dp.callback_secret,
                       CASE WHEN dp.callback_secret_previous_until > now() THEN dp.callback_secret_previous END
                FROM portal_events e JOIN departments dp ON dp.code = e.department WHERE e.id = $1
                """, [request.eventID]
            ).first.map {
                (
                    body: try $0.decode(String.self, at: 0), done: try $0.decode(Bool.self, at: 1),
                    url: try $0.decode(String?.self, at: 2),
                    secret: try $0.decode(String?.self, at: 3),
                    previous: try $0.decode(String?.self, at: 4)
                )
            }
        }
        guard let event = loaded else { throw JobError.permanent("portal event not found") }
        if event.done { return }  // the portal already has it: never send an event twice after a 2xx
        guard let url = event.url, let secret = event.secret else {
            throw JobError.permanent("the department has no callback URL or secret")
        }
        let body = Array(event.body.utf8)
        let timestamp = Int(Timestamp.nowMicroseconds() / 1_000_000)
        let eventID = request.eventID.uuidString.lowercased()
        var status = 0
        do {
            status = try clients.with { client in
                try client.send(
                    HTTPClientRequest(
                        method: "POST", url: url,
                        headers: [
                            ("Dakiya-Event-Id", eventID),
                            (
                                CallbackSignature.header,
                                CallbackSignature.sign(
                                    body: body, secrets: [secret] + (event.previous.map { [$0] } ?? []),
                                    timestamp: timestamp)
                            ),
                        ], body: .bytes(body, contentType: "application/json"))
                ).status
            }
        } catch let error as HTTPClientError {
            try record(request.eventID, status: nil, delivered: false)
            refused.increment()
            throw JobError.retryable("callback not delivered: \(error.code)", code: error.code.rawValue)
        }
        try record(request.eventID, status: status, delivered: (200...299).contains(status))
        switch status {
        case 200...299:
            delivered.increment()
        case 410:
            refused.increment()
            throw JobError.permanent("the callback URL answered 410 Gone", code: "410")
        default:
            refused.increment()
            throw JobError.retryable("the callback URL answered \(status)", code: String(status))
        }
    }

    private func record(_ eventID: UUID, status: Int?, delivered: Bool) throws {
        _ = try pool.withConnection { connection in
            try connection.query(
                """
                UPDATE portal_events SET attempts = attempts + 1, last_status = $2, delivered_at = CASE WHEN $3 THEN now() ELSE delivered_at END
                WHERE id = $1
                """, [eventID, status, delivered])
        }
    }
}
