// Kinds of failure that callers answer differently from a bug: a dependency down for now (503), a caller not
// identified (401). Modules throw them; the HTTP server maps each kind in one place.

/// An error that says a dependency (the database) is unreachable or overloaded for now: the request was not
/// wrong and our code did not fail, so an HTTP server answers 503 with Retry-After instead of 500.
package protocol TemporaryUnavailability: Error {
    /// True when retrying the same request later can succeed.
    var isTemporarilyUnavailable: Bool { get }
}

/// An error that says the caller did not prove who they are (a missing, malformed, unknown or revoked key): an HTTP
/// server answers 401 with `WWW-Authenticate: challenge`. Key checks throw it; no handler maps it by hand.
package protocol AuthenticationFailure: Error {
    /// What the caller is told.
    var detail: String { get }
    /// The `WWW-Authenticate` challenge, e.g. `Bearer`.
    var challenge: String { get }
}
