import ServiceHost

/// email-adapter: email over SMTP (issue 3).
///
/// Consumes the `email` job queue. Its routes and job handlers arrive with that issue; until then it
/// runs the common shell (health, readiness, metrics, the job loop with its `ping` canary, maintenance).
@main
struct EmailAdapter {
    static func main() {
        ServiceHost.main(service: "email-adapter", queue: "email", defaultPort: 8082) { _ in
            ServiceParts()
        }
    }
}
