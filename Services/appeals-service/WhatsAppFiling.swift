import Appeals
import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime
import Texts

/// Appeals a citizen confirmed in the WhatsApp conversation, handed over through the job table. A refused
/// filing is answered in the conversation, in the citizen's language, with the rule that refused it.
struct WhatsAppFiling: Sendable {
    let pool: ConnectionPool
    let desk: AppealsDesk
    let queue: JobQueue
    let logger: Logger
    var now: @Sendable () -> Date = { Date() }

    func handle(_ job: ClaimedJob) throws {
        let request = try Jobs.appealFile.payload(of: job)
        try pool.withConnection { connection in
            do {
                // The next level open for this application: one after the highest filed.
                let level = try Appeal.nextLevel(portalID: request.applicationID, on: connection)
                let appeal = try desk.file(
                    portalID: request.applicationID,
                    AppealsDesk.Filing(
                        level: min(level, 3), grounds: request.grounds, via: "whatsapp",
                        isTest: Applications.isTest(portalID: request.applicationID, on: connection),
                        actor: "whatsapp:" + String(request.mobile.suffix(4))),
                    mobile: request.mobile, now: now(), on: connection)
                logger.info("appeal filed from WhatsApp", ["appeal.number": appeal.number, "job.id": String(job.id)])
            } catch let refusal as AppealRefusal {
                let language = Language.resolve(request.language).code
                var text = WhatsAppTexts.appealRefused(language) + " " + refusal.detail
                if refusal.rule == "late_reason_required" { text += " " + WhatsAppTexts.appealLateHint(language) }
                try queue.enqueue(
                    try Jobs.conversationReply.job(
                        ConversationReply(to: request.mobile, text: text), priority: 1,
                        uniqueKey: "appeal-refused:\(job.id)"), on: connection)
                logger.info("appeal from WhatsApp refused", ["appeal.rule": refusal.rule, "job.id": String(job.id)])
            }
        }
    }
}

/// The periodic deadline sweep: lapsed time limits and overdue appeals.
enum DeadlineSweep {
    static func service(
        pool: ConnectionPool, desk: AppealsDesk, interval: Duration, logger: Logger, metrics: MetricsRegistry
    ) -> PeriodicService {
        let lapsed = metrics.counter(
            "dakiya_appeals_time_limits_lapsed_total", help: "Application time limits that lapsed without a decision.")
        let overdue = metrics.counter(
            "dakiya_appeals_overdue_total", help: "Appeals whose authority missed the decision deadline.")
        let automatic = metrics.counter(
            "dakiya_appeals_auto_filed_total", help: "First appeals filed automatically on a lapse.")
        return PeriodicService(name: "deadline-sweep", interval: interval, logger: logger) {
            let report = try pool.withConnection { try desk.sweep(now: Date(), on: $0) }
            lapsed.increment(by: Double(report.lapsed))
            overdue.increment(by: Double(report.overdue))
            automatic.increment(by: Double(report.autoFiled))
            if report != AppealsDesk.SweepReport() {
                logger.info(
                    "deadline sweep",
                    [
                        "clocks.lapsed": String(report.lapsed), "clocks.met": String(report.met),
                        "appeals.overdue": String(report.overdue),
                        "appeals.auto_filed": String(report.autoFiled), "deadlines.extended": String(report.extended),
                        "clocks.met_late": String(report.metLate), "clocks.released": String(report.released),
                    ])
            }
        }
    }
}

/// Keeps the dashboard's counts up to date: applies the changes the domain tables noted since the last pass (one
/// instance at a time across the deployment; the others skip).
enum DashboardRefresh {
    static func service(pool: ConnectionPool, interval: Duration, logger: Logger, metrics: MetricsRegistry)
        -> PeriodicService
    {
        let applied = metrics.counter(
            "dakiya_dashboard_changes_applied_total",
            help: "Noted changes the dashboard refresher applied to its counts.")
        let backlog = metrics.gauge(
            "dakiya_dashboard_changes_waiting", help: "Changes noted for the dashboard and not yet applied.")
        return PeriodicService(name: "dashboard-refresh", interval: interval, logger: logger) {
            try pool.withConnection { connection in
                if let count = try Dashboard.refresh(on: connection) { applied.increment(by: Double(count)) }
                backlog.set(Double(try Dashboard.backlog(on: connection)))
            }
        }
    }
}
