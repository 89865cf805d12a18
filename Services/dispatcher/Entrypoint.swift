import Broadcasts
import Delivery
import Foundation
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
            let sealing = Sealing.Settings(
                verifyURL: try settings.string("DAKIYA_VERIFY_URL", default: "http://127.0.0.1:8080/v"),
                enabled: try settings.bool("DAKIYA_SEALING", default: true),
                maximumWait: .seconds(try settings.int("DAKIYA_SEALING_MAX_WAIT_SECONDS", default: 600, in: 1...86_400))
            )
            guard sealing.verifyURL.hasPrefix("https://") || sealing.verifyURL.hasPrefix("http://"),
                !sealing.verifyURL.hasSuffix("/"),
                sealing.verifyURL.uppercased().allSatisfy({
                    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$%*+-./:".contains($0)
                })
            else {
                throw SettingError(
                    name: "DAKIYA_VERIFY_URL",
                    problem: "expected an http(s) address without a trailing slash, in letters, digits and $%*+-./:")
            }
            var router = Router()
            TransparencyLogService.routes(pool: context.readPool, signer: signer, policy: witnesses, into: &router)
            // Claimed jobs of a kind are handled together, in one transaction (one commit for many deliveries).
            return ServiceParts(
                router: router,
                batchHandlers: [
                    Jobs.deliveryRequested.kind: { jobs in
                        // A live certificate is sealed first; one whose log entry has no index yet waits a moment.
                        var ready: [UUID] = []
                        var waiting: [Int64: any Error] = [:]
                        // One transaction for the batch: every seal and the routing commit together (one commit, not
                        // one per certificate). A PDF qpdf cannot read fails before its delivery writes anything.
                        try context.pool.transaction { connection in
                            let ids = try jobs.map {
                                (job: $0, id: try Jobs.deliveryRequested.payload(of: $0).deliveryID)
                            }
                            // Only a delivery with a certificate is looked at one by one.
                            let certified = try Sealing.withCertificates(
                                ids.map(\.id), settings: sealing, on: connection)
                            for (job, id) in ids {
                                guard certified.contains(id) else {
                                    ready.append(id)
                                    continue
                                }
                                switch try Sealing.sealOrDeliverUnsealed(
                                    deliveryID: id, settings: sealing, logger: context.logger, on: connection)
                                {
                                case .ready, .overdue: ready.append(id)
                                case .waiting:
                                    waiting[job.id] = JobError.snooze(.milliseconds(250), "waiting for the log index")
                                }
                            }
                            _ = try DeliveryRouter.route(deliveryIDs: ready, queue: context.queue, on: connection)
                        }
                        return waiting
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
                        ]),
                lanes: [
                    // A range of a broadcast's recipients becomes messages and the sends that carry them, on threads
                    // of their own: a million-row fan-out never holds up an outcome's routing.
                    JobLane(
                        queue: .broadcast,
                        handlers: [
                            Jobs.broadcastFanOut.kind: { job in
                                let range = try Jobs.broadcastFanOut.payload(of: job)
                                try context.pool.withConnection { _ = try Broadcasts.fanOut(range, on: $0) }
                            }
                        ], concurrency: context.configuration.broadcastConcurrency)
                ])
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
