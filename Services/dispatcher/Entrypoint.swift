import ServiceHost

/// dispatcher: routing, fallback, aggregate status and portal callbacks (issue 3).
///
/// Consumes the `dispatcher` job queue. Its routes and job handlers arrive with that issue; until then it
/// runs the common shell (health, readiness, metrics, the job loop with its `ping` canary, maintenance).
@main
struct Dispatcher {
    static func main() {
        ServiceHost.main(service: "dispatcher", queue: "dispatcher", defaultPort: 8084) { _ in
            ServiceParts()
        }
    }
}
