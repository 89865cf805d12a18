// A job worker in its own OS process, for the queue tests: runs JobWorker and JobMaintenance on one queue,
// records every job id it ran, and stops cleanly on SIGTERM.
//
//   DAKIYA_DATABASE_URL=… QueueWorkerProbe QUEUE RECORD_FILE [concurrency] [batch] [lease_seconds] [hold_ms]
//
// hold_ms > 0 makes every job sleep that long (to be killed while holding leased jobs).
import Glibc
import JobQueue
import Postgres
import ServiceRuntime

ServiceGroup.blockTerminationSignals()
let arguments = CommandLine.arguments
guard arguments.count >= 3, let url = Settings().optionalString("DAKIYA_DATABASE_URL") else {
    print(
        "usage: DAKIYA_DATABASE_URL=… QueueWorkerProbe QUEUE RECORD_FILE [concurrency] [batch] [lease_seconds] [hold_ms]"
    )
    exit(64)
}
let probe = ProbeRecorder(path: arguments[2])
let concurrency = arguments.count > 3 ? Int(arguments[3]) ?? 8 : 8
let batch = arguments.count > 4 ? Int(arguments[4]) ?? 100 : 100
let lease = arguments.count > 5 ? Double(arguments[5]) ?? 30 : 30
let hold = arguments.count > 6 ? UInt32(arguments[6]) ?? 0 : 0
try runProbe(
    url: url, queue: arguments[1], recorder: probe, concurrency: concurrency, batch: batch, lease: lease,
    holdMilliseconds: hold)
