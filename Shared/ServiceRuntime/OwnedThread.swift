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

    /// The thread could not be started (pthread_create's error number: EAGAIN when the system is out of threads).
    package struct StartError: Error, CustomStringConvertible, Sendable {
        package var name: String
        package var errno: Int32
        package var description: String { "could not start thread \(name) (error \(errno))" }
    }

    /// Starts the thread. `name` documents its role at the call site (Glibc's module does not export pthread_setname_np).
    /// - Throws: `OwnedThread.StartError` with pthread's error when the thread cannot be created.
    package init(name: String, _ body: @escaping @Sendable () -> Void) throws {
        box = Box(body)
        let context = Unmanaged.passRetained(box).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, 1 << 20)
        let result = pthread_create(
            &thread, &attributes,
            { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                box.body()
                return nil
            }, context)
        pthread_attr_destroy(&attributes)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            throw StartError(name: name, errno: result)
        }
    }

    /// Waits for the thread to finish.
    package func join() { pthread_join(thread, nil) }
}
