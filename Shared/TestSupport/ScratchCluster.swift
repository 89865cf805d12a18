import Foundation

/// A throwaway PostgreSQL cluster of its own, for tests that stop and start the server.
///
/// Lives in a temporary folder with its own socket and port, and is removed when released. As root the
/// server runs as the `postgres` user (PostgreSQL refuses root), as `make` does for the main cluster.
package final class ScratchCluster: @unchecked Sendable {
    package let folder: String
    package let port: Int
    private let binaries: String
    private let isRoot = getuid() == 0

    package var socketFolder: String { folder + "/run" }
    private var dataFolder: String { folder + "/data" }

    /// The URL of database `name` on this cluster.
    package func url(database: String = "postgres") -> String {
        "postgresql:///\(database)?host=\(socketFolder)&port=\(port)&user=postgres"
    }

    package init() throws {
        binaries = try Self.findBinaries()
        folder = "/tmp/dakiya-pg-\(UUID().uuidString.prefix(8).lowercased())"
        port = Int.random(in: 56_000...59_000)
        try FileManager.default.createDirectory(atPath: dataFolder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: socketFolder, withIntermediateDirectories: true)
        if isRoot { try run("/bin/chown", ["-R", "postgres", folder]) }
        try postgres(
            "initdb",
            ["-D", dataFolder, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        let settings =
            "listen_addresses = ''\nport = \(port)\nunix_socket_directories = '\(socketFolder)'\nfsync = off\nmax_connections = 50\n"
        let conf = dataFolder + "/postgresql.conf"
        let existing = try String(contentsOfFile: conf, encoding: .utf8)
        try (existing + settings).write(toFile: conf, atomically: false, encoding: .utf8)
        try start()
    }

    deinit {
        try? postgres("pg_ctl", ["-D", dataFolder, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: folder)
    }

    package func start() throws {
        try postgres("pg_ctl", ["-D", dataFolder, "-l", folder + "/server.log", "-w", "-t", "60", "start"])
    }

    package func stop() throws { try postgres("pg_ctl", ["-D", dataFolder, "-m", "fast", "-w", "stop"]) }

    private func postgres(_ tool: String, _ arguments: [String]) throws {
        if isRoot {
            try run("/usr/sbin/runuser", ["-u", "postgres", "--", binaries + "/" + tool] + arguments)
        } else {
            try run(binaries + "/" + tool, arguments)
        }
    }

    /// Runs a tool to completion with posix_spawn and waitpid. Foundation's Process is not used here: it
    /// watches for exit through a descriptor that the postmaster started by pg_ctl would inherit and keep.
    private func run(_ executable: String, _ arguments: [String]) throws {
        let outputPath = folder + "/tool.log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw TestEnvironmentError(message: "could not start \(executable): errno \(spawned)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw TestEnvironmentError(
                message: "\(executable) \(arguments.first ?? "") failed (status \(status)): \(text.suffix(500))")
        }
    }

    private static func findBinaries() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["DAKIYA_TEST_PG_BIN"], !explicit.isEmpty {
            return explicit
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let newest = versions.compactMap(Int.init).max() else {
            throw TestEnvironmentError(
                message:
                    "PostgreSQL server binaries not found under /usr/lib/postgresql: run the tests with `make test`")
        }
        return "/usr/lib/postgresql/\(newest)/bin"
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on now and that this test process has not handed out before
/// (for child processes that need a fixed port).
///
/// Ports come from 20000-32767, below Linux's ephemeral range (32768-60999): the kernel never gives one of them
/// to a socket bound to port 0 or to an outgoing connection, so a port picked here cannot be taken by another
/// test's client or server between the pick and the child's bind, and a port a stopped service leaves behind is
/// not picked again while the suites run in parallel (a test that checks "nothing listens after the stop" once
/// found another suite's service on the port its own service had left).
package func freePort() -> UInt16 {
    PortPool.shared.next()
}

private final class PortPool: @unchecked Sendable {
    static let shared = PortPool()
    private let lock = NSLock()
    private static let range: ClosedRange<Int> = 20000...32767
    // Processes run one after another (make test, then the browser or failover suites) start at different places.
    private var cursor = Int(getpid()) % range.count

    func next() -> UInt16 {
        lock.lock()
        defer { lock.unlock() }
        for _ in 0..<Self.range.count {
            let port = UInt16(Self.range.lowerBound + cursor)
            cursor = (cursor + 1) % Self.range.count
            if canBind(port) { return port }
        }
        fatalError("no free TCP port in \(Self.range)")
    }

    private func canBind(_ port: UInt16) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        } == 0
    }
}
