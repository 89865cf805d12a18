import Glibc

/// Starts `body` on a new OS thread that we own, so blocking C calls (libpq, libcurl) never run on
/// Swift's cooperative pool. Returns a handle to join.
package final class OwnedThread: @unchecked Sendable {
    private var thread = pthread_t()
    private let box: Box

    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts the thread. `name` documents its role at the call site (Glibc's module does not export pthread_setname_np).
    package init(name: String, _ body: @escaping @Sendable () -> Void) {
        box = Box(body)
        let context = Unmanaged.passRetained(box).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, 1 << 20)
        let result = pthread_create(&thread, &attributes, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, context)
        pthread_attr_destroy(&attributes)
        precondition(result == 0, "pthread_create failed with \(result)")
    }

    /// Waits for the thread to finish.
    package func join() { pthread_join(thread, nil) }
}
