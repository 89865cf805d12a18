// make bench: the job lifecycle through our JobQueue API against the same SQL through pgbench, on the
// private cluster, in one run; then enqueue → start latency of an idle worker, and a real service's peak RSS.
@preconcurrency import Glibc
import ServiceRuntime

ServiceGroup.blockTerminationSignals()
// Piped into `head`, a closed pipe must not kill the bench before it stops the services it started (they would
// go on working against the benchmark database and skew the next run): writes fail instead.
signal(SIGPIPE, SIG_IGN)
// A line at a time, also into a file: a long run's progress is seen as it goes.
setvbuf(stdout, nil, _IOLBF, 0)
let settings = Settings()
do {
    var bench = Bench(
        adminURL: try settings.databaseURL("DAKIYA_BENCH_DATABASE_URL"),
        pgbench: try settings.string("DAKIYA_BENCH_PGBENCH", default: "pgbench"),
        seconds: try settings.int("DAKIYA_BENCH_SECONDS", default: 5, in: 1...600))
    bench.whatsappSeconds = try settings.int("DAKIYA_BENCH_WHATSAPP_SECONDS", default: 60, in: 1...600)
    try bench.run()
} catch let error as SettingError {
    exitForBadSetting("dakiya-bench", error)
} catch {
    print("dakiya-bench: \(error)")
    exit(1)
}
