/// The log as C2SP tlog-tiles serves it: hash tiles of 256 hashes and entry bundles of 256 entries, addressed as
/// `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`, so any tiles client can read our log.
///
/// A level-L tile holds the hashes of perfect subtrees of 256^L leaves ("level-L nodes"): level 0 the leaf hashes,
/// level 1 the roots of the full level-0 tiles, and so on. Tile N of level L holds nodes 256·N ..< 256·N + 256; a
/// partial tile (width W < 256) holds the first W of them and exists only while the tree has no more.
package enum Tiles {
    /// Hashes (or entries) in a full tile.
    package static let width = 256

    /// How many level-`level` nodes a tree of `size` leaves has (perfect subtrees of 256^level leaves).
    package static func nodes(level: Int, size: Int) -> Int { level >= 8 ? 0 : size >> (8 * level) }

    /// The address of one tile: a hash tile of `level`, or an entry bundle (`level` nil), with its index and, for a
    /// partial tile, its width.
    package struct Path: Sendable, Equatable, CustomStringConvertible {
        package var level: Int?
        package var index: Int
        package var partialWidth: Int?

        /// A tile path; `level` nil for an entry bundle.
        package init(level: Int?, index: Int, partialWidth: Int? = nil) {
            self.level = level
            self.index = index
            self.partialWidth = partialWidth
        }

        /// How many hashes or entries the tile holds.
        package var count: Int { partialWidth ?? Tiles.width }

        /// Parses the part after `tile/` (e.g. `0/x001/x234/067.p/8` or `entries/005`); nil when malformed.
        package init?(_ text: Substring) {
            var segments = text.split(separator: "/", omittingEmptySubsequences: false)
            guard segments.count >= 2 else { return nil }
            let first = segments.removeFirst()
            if first == "entries" {
                level = nil
            } else {
                // A level is a number from 0 to 63 without leading zeros.
                guard let level = Int(first), (0...63).contains(level), String(level) == first else { return nil }
                self.level = level
            }
            // A partial tile ends in `<NNN>.p/<W>`.
            partialWidth = nil
            if segments.count >= 2, segments[segments.count - 2].hasSuffix(".p") {
                let width = segments.removeLast()
                guard let value = Int(width), (1..<Tiles.width).contains(value), String(value) == width else {
                    return nil
                }
                partialWidth = value
                segments[segments.count - 1] = segments[segments.count - 1].dropLast(2)
            }
            // The index: groups of three digits, every group but the last prefixed with `x`.
            var index = 0
            for (position, segment) in segments.enumerated() {
                let last = position == segments.count - 1
                guard segment.count == (last ? 3 : 4), !last || !segment.hasPrefix("x"), last || segment.hasPrefix("x"),
                    let group = Int(last ? segment : segment.dropFirst()), group >= 0,
                    segment.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "x") }),
                    index <= (Int.max - group) / 1000
                else { return nil }
                index = index * 1000 + group
            }
            self.index = index
        }

        /// `0/x001/x234/067.p/8`, as the spec writes it.
        package var description: String {
            var groups: [String] = []
            var rest = index
            repeat {
                let group = String(rest % 1000)
                groups.insert(String(repeating: "0", count: 3 - group.count) + group, at: 0)
                rest /= 1000
            } while rest > 0
            let number = groups.dropLast().map { "x" + $0 }.joined(separator: "/")
            let head = (level.map(String.init) ?? "entries") + "/" + (number.isEmpty ? "" : number + "/")
            return head + groups[groups.count - 1] + (partialWidth.map { ".p/\($0)" } ?? "")
        }
    }

    /// An entry bundle: each entry as a big-endian 16-bit length and its bytes.
    package static func bundle(_ entries: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for entry in entries {
            precondition(entry.count <= 0xFFFF, "an entry fits a bundle")
            out += [UInt8(entry.count >> 8), UInt8(entry.count & 0xFF)] + entry
        }
        return out
    }

    /// The entries of a bundle; nil when it is malformed.
    package static func entries(ofBundle bytes: [UInt8]) -> [[UInt8]]? {
        var entries: [[UInt8]] = []
        var offset = 0
        while offset < bytes.count {
            guard offset + 2 <= bytes.count else { return nil }
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            offset += 2
            guard offset + length <= bytes.count else { return nil }
            entries.append(Array(bytes[offset..<(offset + length)]))
            offset += length
        }
        return entries
    }

    /// The hashes of a hash tile; nil when its length is not a whole number of hashes.
    package static func hashes(ofTile bytes: [UInt8]) -> [[UInt8]]? {
        guard bytes.count % 32 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 32).map { Array(bytes[$0..<($0 + 32)]) }
    }
}
