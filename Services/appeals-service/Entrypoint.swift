import Appeals
import Delivery
import JobContracts
import ServiceHost
import ServiceRuntime

/// appeals-service: appeals under the Right to Public Services Act (issue 5).
///
/// Serves the appeals API (portal and officers), consumes the `appeals` queue (`appeal.file`: an appeal a
/// citizen confirmed on WhatsApp) and sweeps deadlines: lapsed time limits, overdue appeals. Serves the officers'
/// desk (/desk) and the public standard dashboard (/dashboard), whose counts it keeps up to date.
@main
struct AppealsService {
    static func main() {
        ServiceHost.main(service: "appeals-service", queue: .appeals, defaultPort: 8083) { context in
            let interval = try Settings().seconds("DAKIYA_APPEALS_SWEEP_INTERVAL_SECONDS", default: 300, in: 1...86_400)
            let desk = AppealsDesk(queue: context.queue)
            let api = AppealsAPI(pool: context.pool, desk: desk, logger: context.logger)
            let intake = WhatsAppFiling(pool: context.pool, desk: desk, queue: context.queue, logger: context.logger)
            var router = api.makeRouter()
            OfficerDesk(
                pool: context.pool, logger: context.logger,
                secureCookies: try Settings().bool("DAKIYA_DESK_SECURE_COOKIES", default: false), desk: desk
            ).routes(into: &router)
            DashboardPage(pool: context.readPool).routes(into: &router)
            let refresh = try Settings().seconds("DAKIYA_DASHBOARD_REFRESH_SECONDS", default: 5, in: 1...3_600)
            return ServiceParts(
                router: router, handlers: [Jobs.appealFile.kind: { job in try intake.handle(job) }],
                services: [
                    DeadlineSweep.service(
                        pool: context.pool, desk: desk, interval: interval, logger: context.logger,
                        metrics: context.metrics),
                    DashboardRefresh.service(
                        pool: context.pool, interval: refresh, logger: context.logger, metrics: context.metrics),
                ])
        }
    }
}
