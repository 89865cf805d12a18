import Delivery
import HTTPServer
import JobContracts
import JobQueue
import ServiceHost
import ServiceRuntime
import TransparencyLog
import TransparencyLogStore

/// dispatcher: routing, fallback, aggregate status and portal callbacks (issue 3).
///
/// Consumes the `dispatcher` job queue: `delivery.requested` routes a new delivery to its channels
/// (channel attempts and one job per channel, in one transaction); `attempt.moved` (and `attempts.moved`, one per webhook batch) applies the fallback
/// after a permanent failure and keeps the aggregate status. It also purges certificates past their retention.
@main
struct Dispatcher {
    static func main() {
        ServiceHost.main(service: "dispatcher", queue: .dispatcher, defaultPort: 8084) { context in
            let settings = Settings()
            let signer = try TransparencyLogService.signer(
                settings: settings, pool: context.pool, logger: context.logger)
            let logInterval = try settings.seconds("DAKIYA_LOG_INTEGRATE_SECONDS", default: 0.5, in: 0.05...60)
            let witnesses = try TransparencyLogService.WitnessPolicy.from(settings)
            let witnessInterval = try settings.seconds("DAKIYA_LOG_WITNESS_SECONDS", default: 1, in: 0.1...3600)
            var router = Router()
            TransparencyLogService.routes(pool: context.pool, signer: signer, policy: witnesses, into: &router)
            // Claimed jobs of a kind are handled together, in one transaction (one commit for many deliveries).
            return ServiceParts(
                router: router,
                batchHandlers: [
                    Jobs.deliveryRequested.kind: { jobs in
                        let ids = try jobs.map { try Jobs.deliveryRequested.payload(of: $0).deliveryID }
                        try context.pool.withConnection { connection in
                            _ = try DeliveryRouter.route(deliveryIDs: ids, queue: context.queue, on: connection)
                        }
                        return [:]
                    },
                    Jobs.attemptMoved.kind: reconcile(Jobs.attemptMoved, context),
                    Jobs.attemptsMoved.kind: reconcile(Jobs.attemptsMoved, context),
                    Jobs.attemptMovedBeforeRename.kind: reconcile(Jobs.attemptMovedBeforeRename, context),
                    Jobs.attemptsMovedBeforeRename.kind: reconcile(Jobs.attemptsMovedBeforeRename, context),
                ],
                services: [
                    DocumentRetention.service(pool: context.pool, logger: context.logger, metrics: context.metrics),
                    TransparencyLogService.integrator(
                        pool: context.pool, signer: signer, interval: logInterval, logger: context.logger,
                        metrics: context.metrics),
                ]
                    + (witnesses.witnesses.isEmpty
                        ? []
                        : [
                            TransparencyLogService.witnessing(
                                pool: context.pool, policy: witnesses, interval: witnessInterval,
                                logger: context.logger, metrics: context.metrics)
                        ]))
        }
    }

    /// Reconciles the deliveries of the attempts a batch of jobs of `contract` announces, in one transaction.
    static func reconcile<P>(_ contract: JobContract<P>, _ context: ServiceContext) -> BatchJobHandler
    where P: AttemptAnnouncement {
        { jobs in
            let ids = try jobs.flatMap { try contract.payload(of: $0).attemptIDs }
            try context.pool.withConnection { connection in
                _ = try DeliveryRouter.reconcile(attemptIDs: ids, queue: context.queue, on: connection)
            }
            return [:]
        }
    }
}
