import Delivery
import JobContracts
import ServiceHost
import ServiceRuntime

/// email-adapter: email over SMTP (issue 3).
///
/// Consumes the `email` job queue: `channel.send` renders the department's template in the citizen's
/// language, attaches the certificate, and sends it over SMTP (STARTTLS required by default).
@main
struct EmailAdapter {
    static func main() {
        ServiceHost.main(service: "email-adapter", queue: .email, defaultPort: 8082) { context in
            let settings = try EmailSettings.load(Settings())
            let sender = EmailSender(
                pool: context.pool, queue: context.queue, settings: settings, logger: context.logger,
                metrics: context.metrics)
            return ServiceParts(
                handlers: [
                    Jobs.channelSend.kind: { job in try sender.handle(job) },
                    Jobs.ratingAskEmail.kind: { job in try sender.askRating(job) },
                ],
                lanes: [
                    // A broadcast's emails, on threads of their own: they never hold up an outcome's.
                    JobLane(
                        queue: .broadcastEmail,
                        handlers: [Jobs.broadcastSend.kind: { job in try sender.sendBroadcast(job) }],
                        concurrency: context.configuration.broadcastConcurrency)
                ])
        }
    }
}
