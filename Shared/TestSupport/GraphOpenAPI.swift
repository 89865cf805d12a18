import Foundation

/// Meta's OpenAPI description of the Cloud API (whatsapp-business-messaging-api_v23.0.yaml) and a check of
/// JSON documents against one of its schemas (Tests/Support/check_graph_openapi.py, Debian's python3-yaml).
///
/// The document is Meta's and not redistributed here: it is found through `DAKIYA_GRAPH_OPENAPI`, then
/// next to the repository (`../shared/reference/`), then in `/work/shared/reference/`. Missing, the
/// check throws: a test that depends on it fails rather than passing unchecked.
package enum GraphOpenAPI {
    static let fileName = "whatsapp-business-messaging-api_v23.0.yaml"

    package static func specification() throws -> String {
        // …/Tests/Support → the repository
        let repository = SMTPSink.supportFolder.deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            ProcessInfo.processInfo.environment["DAKIYA_GRAPH_OPENAPI"],
            repository.deletingLastPathComponent().appendingPathComponent("shared/reference/\(fileName)").path,
            "/work/shared/reference/\(fileName)",
        ].compactMap { $0 }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw TestEnvironmentError(
                message: "Meta's OpenAPI document \(fileName) was not found; set DAKIYA_GRAPH_OPENAPI to its path")
        }
        return found
    }

    /// The problems of each document against `schema` (e.g. `Message`, `WebhookPayload`): "ok" when there are none.
    package static func check(_ documents: [String], schema: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [
            SMTPSink.supportFolder.appendingPathComponent("check_graph_openapi.py").path, try specification(), schema,
        ]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // One document per line: JSON text has no raw newlines once re-serialised.
        let lines = try documents.map { document -> String in
            let object = try JSONSerialization.jsonObject(with: Data(document.utf8))
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let writer = Thread {
            input.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8));
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestEnvironmentError(message: "check_graph_openapi.py failed (is python3-yaml installed?)")
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
