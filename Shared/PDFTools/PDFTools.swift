import CQPDF
import Foundation

/// What a PDF operation could not do.
package struct PDFError: Error, Sendable, Equatable, CustomStringConvertible {
    package var reason: String
    package var description: String { reason }
}

/// qpdf (its C object API), for the one thing the gateway does to a department's PDF: draw a stamp over its first
/// page. The only module that imports CQPDF.
package enum PDFTools {
    /// The first page's visible box as a reader shows it (after `/Rotate`), in points: what a stamp is drawn into.
    package struct PageBox: Sendable, Equatable {
        package var width: Double
        package var height: Double
        /// A box of `width` × `height` points.
        package init(width: Double, height: Double) {
            self.width = width
            self.height = height
        }
    }

    /// `original` with `drawing` drawn over its first page, as new PDF bytes. `drawing` gets the page's visible box
    /// as a reader shows it (rotation applied: a stamp drawn in its bottom-right corner appears there, upright) and
    /// returns PDF content operators, which may use `/F1` (Helvetica, WinAnsi). The stamp is a form XObject of its
    /// own; the page's own content is kept byte for byte (wrapped in `q`/`Q` so its graphics state cannot leak
    /// into the stamp) and every stream is written as it came: compressed ones stay compressed, uncompressed ones
    /// (the stamp, whose seal comment must stay readable in the bytes) stay uncompressed. Nothing is decoded, so a
    /// large or hostile stream costs no more than its bytes.
    /// - Throws: `PDFError` when qpdf cannot read the original (or it has no page) or cannot write the result.
    package static func overlayFirstPage(of original: [UInt8], drawing: (PageBox) throws -> String) throws
        -> [UInt8]
    {
        guard let pdf = qpdf_init() else { throw PDFError(reason: "qpdf could not start") }
        defer {
            var handle: qpdf_data? = pdf
            qpdf_cleanup(&handle)
        }
        qpdf_silence_errors(pdf)
        qpdf_set_suppress_warnings(pdf, 1)
        func failure(_ what: String) -> PDFError {
            var reason = what
            if qpdf_has_error(pdf) != 0, let error = qpdf_get_error(pdf),
                let text = qpdf_get_error_full_text(pdf, error)
            {
                reason += ": " + String(cString: text)
            }
            return PDFError(reason: reason)
        }
        let read = original.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                qpdf_read_memory(pdf, "certificate", $0.baseAddress, UInt64($0.count), nil)
            }
        }
        guard read & 2 == 0 else { throw failure("qpdf cannot read the PDF") }
        // Boxes, rotation and resources a page inherits from its parents become its own, so they can be read and
        // changed on the page alone.
        guard qpdf_push_inherited_attributes_to_page(pdf) & 2 == 0, qpdf_get_num_pages(pdf) > 0 else {
            throw failure("the PDF has no page")
        }
        let page = qpdf_get_page_n(pdf, 0)
        func numbers(_ key: String) -> [Double]? {
            let array = qpdf_oh_get_key(pdf, page, key)
            guard qpdf_oh_is_array(pdf, array) != 0, qpdf_oh_get_array_n_items(pdf, array) == 4 else { return nil }
            let values = (0..<4).map { qpdf_oh_get_array_item(pdf, array, Int32($0)) }
            guard values.allSatisfy({ qpdf_oh_is_number(pdf, $0) != 0 }) else { return nil }
            return values.map { qpdf_oh_get_numeric_value(pdf, $0) }
        }
        guard let raw = numbers("/CropBox") ?? numbers("/MediaBox") else {
            throw failure("the first page has no usable MediaBox")
        }
        let x0 = min(raw[0], raw[2]), y0 = min(raw[1], raw[3])
        let width = abs(raw[2] - raw[0]), height = abs(raw[3] - raw[1])
        guard width >= 72, height >= 72 else { throw PDFError(reason: "the first page is smaller than an inch") }
        let rotateKey = qpdf_oh_get_key(pdf, page, "/Rotate")
        let rotation =
            qpdf_oh_is_integer(pdf, rotateKey) != 0
            ? ((Int(qpdf_oh_get_int_value_as_int(pdf, rotateKey)) % 360) + 360) % 360 : 0
        guard rotation % 90 == 0 else { throw PDFError(reason: "the first page's /Rotate is not a multiple of 90") }
        let sideways = rotation == 90 || rotation == 270
        let box = PageBox(width: sideways ? height : width, height: sideways ? width : height)
        // From the box as the reader sees it to the page's own space: undo the clockwise /Rotate, then move to the box.
        let (a, b, c, d, e, f): (Double, Double, Double, Double, Double, Double) =
            switch rotation {
            case 90: (0, 1, -1, 0, width, 0)
            case 180: (-1, 0, 0, -1, width, height)
            case 270: (0, -1, 1, 0, 0, height)
            default: (1, 0, 0, 1, 0, 0)
            }
        let content = try drawing(box)

        func stream(_ data: String, dictionary: String? = nil) -> qpdf_oh {
            let handle = qpdf_oh_new_stream(pdf)
            if let dictionary {
                let parsed = qpdf_oh_parse(pdf, dictionary)
                let target = qpdf_oh_get_dict(pdf, handle)
                for key in ["/Type", "/Subtype", "/BBox", "/Resources"] where qpdf_oh_has_key(pdf, parsed, key) != 0 {
                    qpdf_oh_replace_key(pdf, target, key, qpdf_oh_get_key(pdf, parsed, key))
                }
            }
            let bytes = Array(data.utf8)
            let null = qpdf_oh_new_null(pdf)
            bytes.withUnsafeBufferPointer {
                qpdf_oh_replace_stream_data(pdf, handle, $0.baseAddress, $0.count, null, null)
            }
            return handle
        }
        let form = stream(
            content,
            dictionary:
                "<< /Type /XObject /Subtype /Form /BBox [0 0 \(number(box.width)) \(number(box.height))] /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >> >> >> >>"
        )

        // The page's resources name the stamp (a name the page does not use yet).
        var resources = qpdf_oh_get_key(pdf, page, "/Resources")
        if qpdf_oh_is_dictionary(pdf, resources) == 0 {
            resources = qpdf_oh_new_dictionary(pdf)
            qpdf_oh_replace_key(pdf, page, "/Resources", resources)
        }
        var xobjects = qpdf_oh_get_key(pdf, resources, "/XObject")
        if qpdf_oh_is_dictionary(pdf, xobjects) == 0 {
            xobjects = qpdf_oh_new_dictionary(pdf)
            qpdf_oh_replace_key(pdf, resources, "/XObject", xobjects)
        }
        var name = "/DakiyaSeal"
        var suffix = 1
        while qpdf_oh_has_key(pdf, xobjects, name) != 0 {
            suffix += 1
            name = "/DakiyaSeal\(suffix)"
        }
        qpdf_oh_replace_key(pdf, xobjects, name, qpdf_make_indirect_object(pdf, form))

        // The page's content streams, untouched, between q and Q; then the stamp.
        let contents = qpdf_oh_new_array(pdf)
        qpdf_oh_append_item(pdf, contents, stream("q\n"))
        let existing = qpdf_oh_get_key(pdf, page, "/Contents")
        if qpdf_oh_is_array(pdf, existing) != 0 {
            for index in 0..<qpdf_oh_get_array_n_items(pdf, existing) {
                qpdf_oh_append_item(pdf, contents, qpdf_oh_get_array_item(pdf, existing, index))
            }
        } else if qpdf_oh_is_stream(pdf, existing) != 0 {
            qpdf_oh_append_item(pdf, contents, existing)
        }
        let placement = [a, b, c, d, e + x0, f + y0].map(number).joined(separator: " ")
        qpdf_oh_append_item(pdf, contents, stream("\nQ\nq \(placement) cm \(name) Do Q\n"))
        qpdf_oh_replace_key(pdf, page, "/Contents", contents)
        guard qpdf_has_error(pdf) == 0 else { throw failure("qpdf could not stamp the page") }

        guard qpdf_init_write_memory(pdf) & 2 == 0 else { throw failure("qpdf could not start writing") }
        qpdf_set_decode_level(pdf, qpdf_dl_none)
        qpdf_set_compress_streams(pdf, 0)
        guard qpdf_write(pdf) & 2 == 0, let buffer = qpdf_get_buffer(pdf) else {
            throw failure("qpdf could not write the stamped PDF")
        }
        return Array(UnsafeBufferPointer(start: buffer, count: qpdf_get_buffer_length(pdf)))
    }

    /// A number as PDF writes it: up to three decimals, no exponent.
    static func number(_ value: Double) -> String {
        let thousandths = Int((abs(value) * 1000).rounded())
        let sign = value < 0 && thousandths > 0 ? "-" : ""
        let fraction = thousandths % 1000
        return sign + String(thousandths / 1000)
            + (fraction == 0
                ? "" : "." + String(String(format: "%03d", fraction).reversed().drop { $0 == "0" }.reversed()))
    }
}
