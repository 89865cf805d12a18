/// Lends reusable, non-thread-safe resources (an HTTP or SMTP client with its open connection) to one thread
/// at a time, creating one when none is free. Sendable because the idle list is only touched under the lock and
/// a lent resource belongs to its borrower alone.
package final class ReusePool<Resource>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var idle: [Resource] = []
    private let make: () throws -> Resource

    /// A pool that makes a resource with `make` when none is free.
    package init(make: @escaping () throws -> Resource) { self.make = make }

    /// Runs `body` with a resource, then keeps it for the next borrower.
    /// - Throws: whatever `make` or `body` throws (the resource is kept for the next borrower either way).
    package func with<T>(_ body: (Resource) throws -> T) throws -> T {
        let resource = try lock.withLock { idle.popLast() } ?? make()
        defer { lock.withLock { idle.append(resource) } }
        return try body(resource)
    }
}
