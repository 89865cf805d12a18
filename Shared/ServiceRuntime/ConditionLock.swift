import Glibc

/// A mutex with a condition variable whose timed waits use the monotonic clock.
///
/// Used where a thread we own must sleep until another thread signals it (a pool waiting for a free
/// connection, a worker waiting for a wake-up). Sendable because every access goes through the mutex.
package final class ConditionLock: @unchecked Sendable {
    fileprivate let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// An unlocked mutex with its monotonic condition variable.
    package init() {
        pthread_mutex_init(mutex, nil)
        initMonotonicCondition(condition)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` while holding the lock.
    /// - Throws: whatever `body` throws (the lock is released first).
    package func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits, with the lock held, until `predicate` is true or `timeout` passes. Returns the last value of `predicate`.
    /// Call only from inside `withLock`.
    package func wait(until predicate: () -> Bool, timeout: Duration?) -> Bool {
        guard let timeout else {
            while !predicate() { pthread_cond_wait(condition, mutex) }
            return true
        }
        let deadline = MonotonicTime.now().advanced(by: timeout)
        while !predicate() {
            var spec = deadline.timespec
            if pthread_cond_timedwait(condition, mutex, &spec) == ETIMEDOUT { return predicate() }
        }
        return true
    }

    /// Wakes every waiter. Call with or without the lock held.
    package func broadcast() { pthread_cond_broadcast(condition) }

    /// Wakes one waiter.
    package func signal() { pthread_cond_signal(condition) }
}

/// Initialises a condition variable whose timed waits use the monotonic clock (wall-clock jumps do not move them).
private func initMonotonicCondition(_ condition: UnsafeMutablePointer<pthread_cond_t>) {
    var attributes = pthread_condattr_t()
    pthread_condattr_init(&attributes)
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
    pthread_cond_init(condition, &attributes)
    pthread_condattr_destroy(&attributes)
}

/// A second condition variable on a `ConditionLock`'s mutex, so that one kind of waiter (idle handler threads,
/// say) can be woken without waking the others.
package final class LockCondition: @unchecked Sendable {
    private let lock: ConditionLock
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// A condition on `lock`'s mutex.
    package init(on lock: ConditionLock) {
        self.lock = lock
        initMonotonicCondition(condition)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    /// Waits until `predicate` is true (no timeout). Call only from inside the lock's `withLock`.
    package func wait(until predicate: () -> Bool) {
        while !predicate() { pthread_cond_wait(condition, lock.mutex) }
    }

    /// Wakes one waiter; call inside the lock.
    package func signal() { pthread_cond_signal(condition) }
    /// Wakes every waiter; call inside the lock.
    package func broadcast() { pthread_cond_broadcast(condition) }
}

/// A point on the monotonic clock, for deadlines that must not jump with the wall clock.
package struct MonotonicTime: Comparable, Sendable {
    package var nanoseconds: UInt64

    /// The monotonic clock now.
    package static func now() -> MonotonicTime {
        var spec = Glibc.timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return MonotonicTime(nanoseconds: UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec))
    }

    /// The point `duration` later.
    package func advanced(by duration: Duration) -> MonotonicTime {
        let (seconds, attoseconds) = duration.components
        let delta = Int64(seconds) * 1_000_000_000 + attoseconds / 1_000_000_000
        return MonotonicTime(nanoseconds: UInt64(max(0, Int64(nanoseconds) + delta)))
    }

    /// The time from `earlier` to this point (zero if `earlier` is later).
    package func duration(since earlier: MonotonicTime) -> Duration {
        nanoseconds > earlier.nanoseconds ? .nanoseconds(Int64(nanoseconds - earlier.nanoseconds)) : .zero
    }

    var timespec: Glibc.timespec {
        Glibc.timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
    }

    package static func < (lhs: MonotonicTime, rhs: MonotonicTime) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}

extension Duration {
    /// The duration in seconds as a Double, for logs, metrics and SQL intervals.
    package var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
