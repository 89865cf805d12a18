/// The checks every PDF upload gets (a certificate from the portal, an appellate order from an officer):
/// a size limit (413), a PDF header (415) and a plain file name (422), each naming the field.
package enum UploadedPDF {
    /// Returns the trimmed file name with the bytes; `what` names the document in the details ("certificate").
    /// - Throws: `HTTPError`: 413 too large, 415 not a PDF, 422 a file name that is not plain, each naming the field.
    package static func check(
        _ bytes: [UInt8], fileName rawName: String, maximumBytes: Int, what: String, field: String,
        nameField: String? = nil
    ) throws -> (fileName: String, bytes: [UInt8]) {
        guard bytes.count <= maximumBytes else {
            throw HTTPError(
                status: 413, detail: "the \(what) is larger than \(maximumBytes) bytes",
                errors: [FieldProblem(field: field, detail: "too large")])
        }
        guard bytes.starts(with: Array("%PDF-".utf8)) else {
            throw HTTPError(
                status: 415, detail: "the \(what) must be a PDF", type: "urn:dakiya:problem:unsupported-document",
                errors: [FieldProblem(field: field, detail: "not a PDF (no %PDF- header)")])
        }
        let fileName = rawName.trimmingCharacters(in: .whitespaces)
        guard (1...200).contains(fileName.unicodeScalars.count), !fileName.contains("/"), !fileName.contains("\\")
        else {
            throw HTTPError.unprocessable(
                "the \(what)'s file name must be 1 to 200 characters with no path", field: nameField ?? field)
        }
        return (fileName, bytes)
    }
}
