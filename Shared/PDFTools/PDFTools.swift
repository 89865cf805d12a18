import CQPDF
import Foundation

/// What a PDF operation could not do.
package struct PDFError: Error, Sendable, Equatable, CustomStringConvertible {
    package var reason: String
    package var description: String { reason }
}

/// qpdf (its C job API), for the few things the gateway does to a department's PDF: overlay a one-page stamp on
/// its first page. The only module that imports CQPDF.
package enum PDFTools {
    /// `original` with the first page of `stamp` drawn over its first page (scaled to that page's box), as new PDF
    /// bytes. The original's content is kept; only the stamp's marks are added on top.
    /// - Throws: `PDFError` when qpdf cannot read the original or write the result.
    package static func overlayFirstPage(of original: [UInt8], with stamp: [UInt8]) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "dakiya-pdf-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in.pdf")
        let overlay = directory.appendingPathComponent("stamp.pdf")
        let output = directory.appendingPathComponent("out.pdf")
        try Data(original).write(to: input)
        try Data(stamp).write(to: overlay)
        // The job as qpdf 11.3 reads it (job.yml: camelCase keys, bare options as ""): warnings (a PDF qpdf had to
        // repair) do not fail the job; errors do.
        let job: [String: Any] = [
            "inputFile": input.path, "outputFile": output.path,
            "overlay": ["file": overlay.path, "to": "1", "from": "1"],
            "warningExit0": "", "noWarn": "",
            // Streams that came uncompressed stay so: the stamp's seal comment stays readable in the bytes.
            "compressStreams": "n",
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: job), as: UTF8.self)
        let status = json.withCString { qpdfjob_run_from_json($0) }
        guard status == 0 || status == 3, let result = FileManager.default.contents(atPath: output.path) else {
            throw PDFError(reason: "qpdf could not stamp the PDF (exit status \(status))")
        }
        return Array(result)
    }
}
