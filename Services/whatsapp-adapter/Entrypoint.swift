import Delivery
import JobContracts
import ServiceHost
import ServiceRuntime

/// whatsapp-adapter: the WhatsApp Cloud API channel (issue 4).
///
/// Consumes the `whatsapp` job queue: `channel.send` sends an outcome as an approved template, the certificate
/// as its document header (claimed sends go as one batch); `webhook.process` applies a stored webhook batch. Routes: GET and POST
/// /webhooks/whatsapp (handshake; signed events). Pacing and the citizen conversation follow in issue 4's next steps.
@main
struct WhatsAppAdapter {
    static func main() {
        ServiceHost.main(service: "whatsapp-adapter", queue: .whatsapp, defaultPort: 8081) { context in
            let settings = try WhatsAppSettings.load(Settings())
            let retentionDays = try Settings().int(
                "DAKIYA_WHATSAPP_MESSAGE_RETENTION_DAYS", default: 90, in: 8...3650)
            if settings.graphURL.contains("127.0.0.1") || settings.graphURL.contains("localhost") {
                context.logger.warning(
                    "WhatsApp messages go to a local Cloud API simulator; set DAKIYA_WHATSAPP_GRAPH_URL (and the token, app secret and number) for Meta's API"
                )
            }
            let sender = WhatsAppSender(
                pool: context.pool, queue: context.queue, settings: settings, logger: context.logger,
                metrics: context.metrics)
            let webhooks = WhatsAppWebhooks(
                pool: context.pool, queue: context.queue, settings: settings, logger: context.logger,
                metrics: context.metrics)
            return ServiceParts(
                router: webhooks.routes(),
                handlers: [
                    Jobs.webhookProcess.kind: { job in try webhooks.process(job) },
                    Jobs.conversationReply.kind: { job in try sender.reply(job) },
                    Jobs.certificateResend.kind: { job in try sender.resend(job) },
                    Jobs.verificationSlip.kind: { job in try sender.sendSlip(job) },
                    Jobs.ratingAsk.kind: { job in try sender.askRating(job) },
                    Jobs.shortfallFetch.kind: { job in try sender.fetchShortfallReply(job) },
                ],
                batchHandlers: [
                    // Claimed sends go together: one statement claims their attempts, the messages go out at once.
                    Jobs.channelSend.kind: { jobs in try sender.handle(jobs) }
                ],
                services: [
                    WhatsAppRetention.service(
                        pool: context.pool, retentionDays: retentionDays, logger: context.logger,
                        metrics: context.metrics)
                ],
                lanes: [
                    // A broadcast's sends, on threads of their own: they never hold up an outcome's.
                    JobLane(
                        queue: .broadcastWhatsApp,
                        handlers: [Jobs.broadcastSend.kind: { job in try sender.sendBroadcast(job) }],
                        concurrency: context.configuration.broadcastConcurrency)
                ])
        }
    }
}
