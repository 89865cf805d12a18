import Cryptography
import Delivery
import JobContracts
import ServiceHost
import ServiceRuntime

/// portal-adapter: the portal's API: outcomes, citizens, deliveries and the inbox (issue 3).
///
/// Consumes the `portal` job queue: `callback.deliver` posts signed status events to the department. Routes: PUT /v1/citizens/{portalUserId},
/// POST /v1/applications/{applicationId}/outcome, GET /v1/deliveries/{id},
/// GET /v1/applications/{applicationId}/deliveries, GET /v1/citizens/{portalUserId}/inbox,
/// GET /v1/documents/{deliveryId} (signed, expiring certificate links).
@main
struct PortalAdapter {
    static func main() {
        ServiceHost.main(service: "portal-adapter", queue: .portal, defaultPort: 8080) { context in
            let maximumCertificate = try Settings().int(
                "DAKIYA_CERTIFICATE_MAX_BYTES", default: 5 << 20, in: 1024...(64 << 20))
            var api = PortalAPI(pool: context.pool, logger: context.logger, maximumCertificateBytes: maximumCertificate)
            api.queue = context.queue
            api.linkLifetime = try Settings().int("DAKIYA_LINK_TTL_SECONDS", default: 900, in: 10...86_400)
            api.documentRetentionDays = try Settings().int(
                "DAKIYA_DOCUMENT_RETENTION_DAYS", default: 365, in: 1...36_500)
            func linkKey(_ name: String) throws(SettingError) -> [UInt8]? {
                guard let configured = Settings().optionalString(name) else { return nil }
                guard let key = Base64URL.decode(configured), key.count >= 32 else {
                    throw SettingError(name: name, problem: "expected at least 32 bytes in base64url")
                }
                return key
            }
            // A changeover: the new key signs, the previous one still verifies the links it signed (they expire
            // within DAKIYA_LINK_TTL_SECONDS, after which the previous key can be removed).
            api.previousLinkKey = try linkKey("DAKIYA_LINK_SIGNING_KEY_PREVIOUS")
            if let key = try linkKey("DAKIYA_LINK_SIGNING_KEY") {
                api.linkKey = key
            } else {
                api.linkKey = try SecureRandom.bytes(32)
                context.logger.warning(
                    "DAKIYA_LINK_SIGNING_KEY is not set: certificate links last only until this process restarts")
            }
            var broadcasts = BroadcastAPI(pool: context.pool, logger: context.logger, queue: context.queue)
            broadcasts.metrics = context.metrics
            broadcasts.requestsPerMinute = try Settings().int(
                "DAKIYA_BROADCAST_REQUESTS_PER_MINUTE", default: 60, in: 1...60_000)
            broadcasts.dailyCap = try Settings().int(
                "DAKIYA_BROADCAST_DAILY_CAP", default: 2_000_000, in: 1...1_000_000_000)
            let callbacks = CallbackSender(pool: context.pool, logger: context.logger, metrics: context.metrics)
            return ServiceParts(
                router: {
                    var router = api.makeRouter()
                    Verification(pool: context.pool).routes(into: &router)
                    RatingPage(pool: context.pool).routes(into: &router)
                    broadcasts.routes(into: &router)
                    CAPAlertsAPI(pool: context.pool, logger: context.logger, queue: context.queue).routes(into: &router)
                    return router
                }(), handlers: [Jobs.callbackDeliver.kind: { job in try callbacks.handle(job) }])
        }
    }
}
