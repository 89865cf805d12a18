import ServiceHost

/// whatsapp-adapter: the WhatsApp Cloud API channel and its webhooks (issue 4).
///
/// Consumes the `whatsapp` job queue. Its routes and job handlers arrive with that issue; until then it
/// runs the common shell (health, readiness, metrics, the job loop with its `ping` canary, maintenance).
@main
struct WhatsAppAdapter {
    static func main() {
        ServiceHost.main(service: "whatsapp-adapter", queue: "whatsapp", defaultPort: 8081) { _ in
            ServiceParts()
        }
    }
}
