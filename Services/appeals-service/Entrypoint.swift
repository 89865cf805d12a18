import ServiceHost

/// appeals-service: appeals under the Right to Public Services Act (issue 5).
///
/// Consumes the `appeals` job queue. Its routes and job handlers arrive with that issue; until then it
/// runs the common shell (health, readiness, metrics, the job loop with its `ping` canary, maintenance).
@main
struct AppealsService {
    static func main() {
        ServiceHost.main(service: "appeals-service", queue: "appeals", defaultPort: 8083) { _ in
            ServiceParts()
        }
    }
}
