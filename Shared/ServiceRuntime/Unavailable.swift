/// An error that says a dependency (the database) is unreachable or overloaded for now: the request was not
/// wrong and our code did not fail, so an HTTP server answers 503 with Retry-After instead of 500.
package protocol TemporaryUnavailability: Error {
    /// True when retrying the same request later can succeed.
    var isTemporarilyUnavailable: Bool { get }
}
