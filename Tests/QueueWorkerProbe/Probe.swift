import Glibc
import JobQueue
import Postgres
import ServiceRuntime
import Synchronization

/// Collects the ids of the jobs this process ran and writes them, one per line, when the process stops.
final class ProbeRecorder: Sendable {
    let path: String
    private let ids = Mutex<[Int64]>([])

    init(path: String) { self.path = path }

    func record(_ id: Int64) { ids.withLock { $0.append(id) } }

    func write() {
        let text = ids.withLock { $0.map(String.init).joined(separator: "\n") } + "\n"
        guard let file = fopen(path, "w") else { return }
        fputs(text, file)
        fclose(file)
    }
}

func runProbe(
    url: String, queue: String, recorder: ProbeRecorder, concurrency: Int, batch: Int, lease: Double,
    holdMilliseconds: UInt32
) throws {
    let logger = Logger(service: "queue-probe", minimumLevel: .warning)
    let metrics = MetricsRegistry()
    let pool = ConnectionPool(url: url, maximumConnections: 4)
    let handler: JobHandler = { job in
        if holdMilliseconds > 0 { usleep(holdMilliseconds * 1000) }
        recorder.record(job.id)
    }
    let configuration = WorkerConfiguration(
        queue: queue, concurrency: concurrency, batchSize: batch,
        lease: .milliseconds(Int64(lease * 1000)), pollInterval: .milliseconds(200),
        shutdownGrace: .seconds(2))
    let worker = JobWorker(
        pool: pool, configuration: configuration, handlers: ["probe": handler], logger: logger, metrics: metrics)
    let maintenance = JobMaintenance(url: url, interval: .milliseconds(200), logger: logger, metrics: metrics)
    print("probe ready worker=\(worker.workerID)")
    fflush(nil)
    try ServiceGroup(services: [maintenance, worker], logger: logger).run()
    recorder.write()
    print("probe stopped")
}
