import ServiceHost

/// portal-adapter: the portal's API: outcomes, citizens, deliveries and the inbox (issue 3).
///
/// Consumes the `portal` job queue. Its routes and job handlers arrive with that issue; until then it
/// runs the common shell (health, readiness, metrics, the job loop with its `ping` canary, maintenance).
@main
struct PortalAdapter {
    static func main() {
        ServiceHost.main(service: "portal-adapter", queue: "portal", defaultPort: 8080) { _ in
            ServiceParts()
        }
    }
}
