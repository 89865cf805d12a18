import Glibc

/// A setting that is missing or malformed. `description` is the one line a service prints before it exits.
package struct SettingError: Error, CustomStringConvertible, Sendable {
    /// The environment variable, e.g. `DAKIYA_HTTP_PORT`.
    package var name: String
    /// What is wrong with it, never echoing a secret's value.
    package var problem: String

    /// A bad setting: the variable's `name` and what is wrong (never its value).
    package init(name: String, problem: String) {
        self.name = name
        self.problem = problem
    }

    package var description: String { "invalid setting \(name): \(problem)" }
}

/// Settings read from the environment and validated at start.
///
/// Each accessor throws `SettingError` naming the variable, so a service stops with one clear line.
package struct Settings: Sendable {
    package var environment: [String: String]

    /// Settings read from `environment` (the process's by default, with `…_FILE` settings read in).
    package init(environment: [String: String] = Settings.processEnvironment()) {
        self.environment = environment
    }

    /// The process environment with every `DAKIYA_…_FILE` read in (see `readingFiles`), read once. A file that
    /// cannot be read stops the process with one line naming the setting, as any bad setting does at start.
    package static func processEnvironment() -> [String: String] { expandedEnvironment }

    private static let expandedEnvironment: [String: String] = {
        switch readingFiles(rawProcessEnvironment()) {
        case .success(let environment): return environment
        case .failure(let error):
            let program = CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? "dakiya"
            exitForBadSetting(program, error)
        }
    }()

    /// Secrets from files, as compose and Kubernetes secrets provide them: `DAKIYA_X_FILE=/run/secrets/x` sets
    /// `DAKIYA_X` to the file's content (one trailing line break dropped). A value set directly wins; a file that
    /// cannot be read, or is empty, is an error naming `DAKIYA_X_FILE` (never the content).
    package static func readingFiles(_ environment: [String: String]) -> Result<[String: String], SettingError> {
        var result = environment
        for (key, path) in environment where key.hasPrefix("DAKIYA_") && key.hasSuffix("_FILE") {
            let name = String(key.dropLast(5))
            if let direct = environment[name], !direct.trimmingSpaces().isEmpty { continue }
            guard let file = fopen(path, "rb") else {
                return .failure(SettingError(name: key, problem: "cannot read the file \(path)"))
            }
            defer { fclose(file) }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = fread(&buffer, 1, buffer.count, file)
                if count == 0 { break }
                bytes += buffer[0..<count]
                if bytes.count > 1 << 20 {
                    return .failure(SettingError(name: key, problem: "the file \(path) is larger than 1 MiB"))
                }
            }
            while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
            guard !bytes.isEmpty else { return .failure(SettingError(name: key, problem: "the file \(path) is empty")) }
            result[name] = String(decoding: bytes, as: UTF8.self)
        }
        return .success(result)
    }

    /// The process environment as it is, read through `environ` (no Foundation).
    static func rawProcessEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }

    private func raw(_ name: String) -> String? {
        guard let value = environment[name]?.trimmingSpaces(), !value.isEmpty else { return nil }
        return value
    }

    /// A required or defaulted string.
    /// - Throws: `SettingError` when required and missing or empty.
    package func string(_ name: String, default defaultValue: String? = nil) throws(SettingError) -> String {
        if let value = raw(name) { return value }
        if let defaultValue { return defaultValue }
        throw SettingError(name: name, problem: "required but not set")
    }

    /// An optional string: nil when unset or empty.
    package func optionalString(_ name: String) -> String? { raw(name) }

    /// An integer within `range`.
    /// - Throws: `SettingError` when it is not a whole number in `range`.
    package func int(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(SettingError) -> Int
    {
        guard let text = raw(name) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw SettingError(
                name: name,
                problem:
                    "expected an integer from \(range.lowerBound) to \(range.upperBound), got \"\(text.prefix(40))\"")
        }
        return value
    }

    /// A duration given in (possibly fractional) seconds within `range`.
    /// - Throws: `SettingError` when it is not a number of seconds in `range`.
    package func seconds(_ name: String, default defaultValue: Double, in range: ClosedRange<Double>)
        throws(SettingError) -> Duration
    {
        guard let text = raw(name) else { return .milliseconds(Int64(defaultValue * 1000)) }
        guard let value = Double(text), range.contains(value) else {
            throw SettingError(
                name: name,
                problem: "expected seconds from \(range.lowerBound) to \(range.upperBound), got \"\(text.prefix(40))\"")
        }
        return .milliseconds(Int64((value * 1000).rounded()))
    }

    /// A boolean: true/false, yes/no, on/off, 1/0.
    /// - Throws: `SettingError` when it is not true/false, 1/0, yes/no or on/off.
    package func bool(_ name: String, default defaultValue: Bool) throws(SettingError) -> Bool {
        guard let text = raw(name)?.lowercased() else { return defaultValue }
        switch text {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw SettingError(name: name, problem: "expected true or false, got \"\(text.prefix(40))\"")
        }
    }

    /// One of `choices`.
    /// - Throws: `SettingError` when it is not one of `choices`.
    package func choice(_ name: String, default defaultValue: String, from choices: [String]) throws(SettingError)
        -> String
    {
        guard let text = raw(name) else { return defaultValue }
        guard choices.contains(text) else {
            throw SettingError(
                name: name, problem: "expected one of \(choices.joined(separator: ", ")), got \"\(text.prefix(40))\"")
        }
        return text
    }

    /// A PostgreSQL connection URL (`postgres://` or `postgresql://`). Its value is never echoed: it may hold a password.
    /// - Throws: `SettingError` when it is missing or not a `postgres://` or `postgresql://` URL.
    package func databaseURL(_ name: String) throws(SettingError) -> String {
        let url = try string(name)
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw SettingError(name: name, problem: "expected a postgres:// or postgresql:// URL")
        }
        return url
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and line ends.
    package func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}

/// Prints `error` as one line on standard error, prefixed with the program name, and exits with EX_CONFIG (78).
package func exitForBadSetting(_ program: String, _ error: SettingError) -> Never {
    let line = "\(program): \(error.description)\n"
    _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    exit(78)
}
