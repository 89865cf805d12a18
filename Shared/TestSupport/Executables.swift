import Foundation

/// Finds and starts the package's own executables (built next to the test bundle).
package enum Executables {
    /// The folder holding the built products.
    package static var folder: URL {
        if let explicit = ProcessInfo.processInfo.environment["DAKIYA_BIN_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        // swift test runs <bin>/dakiyaPackageTests.xctest; the executables sit beside it.
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("dispatcher").path)
        {
            url.deleteLastPathComponent()
        }
        return url
    }

    /// The path of executable `name`, or a thrown error when it was not built.
    package static func path(_ name: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestEnvironmentError(
                message: "executable \(name) not found at \(path): build it with `swift build` first")
        }
        return path
    }
}

/// A child process started by a test, killed (SIGKILL) if still running when released.
package final class ChildProcess: @unchecked Sendable {
    package let process: Process
    private let output: Pipe
    private let collected = OutputBuffer()

    final class OutputBuffer: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func append(_ chunk: Data) { lock.lock(); data.append(chunk); lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
    }

    /// Starts `executable` with `arguments` and `environment` added to this process's environment.
    package init(_ executable: String, arguments: [String] = [], environment: [String: String] = [:]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Executables.path(executable))
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let buffer = collected
        output.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            if !chunk.isEmpty { buffer.append(chunk) }
        }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        output.fileHandleForReading.readabilityHandler = nil
    }

    /// Everything the process wrote to stdout and stderr so far.
    package var outputText: String { collected.text }

    package var pid: Int32 { process.processIdentifier }

    /// Sends `signal` to the process.
    package func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits up to `timeout` for the process to exit; returns its status, or nil if it is still running.
    package func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning { return nil }
        process.waitUntilExit()
        // The readability handler runs asynchronously: drain what is left so the last lines are not lost.
        output.fileHandleForReading.readabilityHandler = nil
        let rest = output.fileHandleForReading.readDataToEndOfFile()
        if !rest.isEmpty { collected.append(rest) }
        return process.terminationStatus
    }
}

/// Polls `condition` until it is true or `timeout` passes; returns its last value.
package func eventually(
    timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(20), _ condition: () throws -> Bool
) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        usleep(UInt32(interval.components.attoseconds / 1_000_000_000_000 + interval.components.seconds * 1_000_000))
    }
    return try condition()
}

/// Runs a system program (`/usr/bin/pdftoppm`, say) to its end: its exit status and standard output (standard
/// error discarded).
/// - Throws: when the program cannot be started.
package func runProgram(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
