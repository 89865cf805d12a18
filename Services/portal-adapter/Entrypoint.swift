import Delivery
import ServiceHost
import ServiceRuntime

/// portal-adapter: the portal's API: outcomes, citizens, deliveries and the inbox (issue 3).
///
/// Consumes the `portal` job queue: `callback.deliver` posts signed status events to the department. Routes: PUT /v1/citizens/{portalUserId},
/// POST /v1/applications/{applicationId}/outcome, GET /v1/deliveries/{id},
/// GET /v1/applications/{applicationId}/deliveries.
@main
struct PortalAdapter {
    static func main() {
        ServiceHost.main(service: "portal-adapter", queue: "portal", defaultPort: 8080) { context in
            let maximumCertificate = try Settings().int("DAKIYA_CERTIFICATE_MAX_BYTES", default: 5 << 20, in: 1024...(64 << 20))
            let api = PortalAPI(pool: context.pool, queue: context.queue, logger: context.logger, maximumCertificateBytes: maximumCertificate)
            let callbacks = CallbackSender(pool: context.pool, logger: context.logger, metrics: context.metrics)
            return ServiceParts(router: api.makeRouter(), handlers: [PortalEvents.deliverKind: { job in try callbacks.handle(job) }])
        }
    }
}
