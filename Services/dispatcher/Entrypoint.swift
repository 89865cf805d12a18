import Delivery
import ServiceHost

/// dispatcher: routing, fallback, aggregate status and portal callbacks (issue 3).
///
/// Consumes the `dispatcher` job queue: `delivery.requested` routes a new delivery to its channels
/// (channel attempts and one job per channel, in one transaction); `attempt.settled` applies the fallback
/// after a permanent failure and keeps the aggregate status. It also purges certificates past their retention.
@main
struct Dispatcher {
    static func main() {
        ServiceHost.main(service: "dispatcher", queue: "dispatcher", defaultPort: 8084) { context in
            ServiceParts(handlers: [
                DeliveryJobs.requested: { job in
                    let request = try job.decodePayload(DeliveryJobs.Requested.self)
                    try context.pool.withConnection { connection in
                        _ = try DeliveryRouter.route(deliveryID: request.deliveryID, queue: context.queue, on: connection)
                    }
                },
                DeliveryJobs.attemptSettled: { job in
                    let settled = try job.decodePayload(DeliveryJobs.Settled.self)
                    try context.pool.withConnection { connection in
                        _ = try DeliveryRouter.settle(attemptID: settled.attemptID, queue: context.queue, on: connection)
                    }
                },
            ], services: [
                DocumentRetention.service(pool: context.pool, logger: context.logger, metrics: context.metrics),
            ])
        }
    }
}
