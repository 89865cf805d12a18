import Foundation
import Synchronization

/// A clock that tests move by hand, so deadlines, leases and backoffs take no real time.
package final class ManualClock: Sendable {
    private let current: Mutex<Date>

    package init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }

    package var date: Date { current.withLock { $0 } }

    /// Moves the clock forward by `duration`.
    package func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        current.withLock { $0 += Double(seconds) + Double(attoseconds) / 1e18 }
    }
}

import JobQueue

extension ManualClock: JobClock {
    package func now() -> Date? { date }
}
