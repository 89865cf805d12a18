import Cryptography
import Foundation

/// An offline proof that one entry is in the log (C2SP tlog-proof@v1): the entry (as the `extra` data, so the proof
/// is self-contained), its index, the inclusion proof and the checkpoint with its cosignatures. Anyone holding
/// the log's key (and the witnesses' keys their policy needs) can check it without reaching the log.
package struct LogProof: Sendable, Equatable {
    /// The first line of every proof.
    package static let header = "c2sp.org/tlog-proof@v1"

    /// The entry (canonical JSON), carried as the proof's extra data.
    package var entry: [UInt8]?
    package var index: Int
    package var proof: [[UInt8]]
    /// The signed checkpoint, verbatim, with any cosignatures.
    package var note: String

    /// A proof of the entry at `index` with `proof` against the checkpoint `note`.
    package init(entry: [UInt8]?, index: Int, proof: [[UInt8]], note: String) {
        self.entry = entry
        self.index = index
        self.proof = proof
        self.note = note
    }

    /// The proof's text.
    package var text: String {
        var lines = [Self.header]
        if let entry { lines.append("extra " + Data(entry).base64EncodedString()) }
        lines.append("index \(index)")
        lines += proof.map { Data($0).base64EncodedString() }
        return lines.joined(separator: "\n") + "\n\n" + note
    }

    /// Parses a proof's text; nil when it is malformed.
    package init?(text: String) {
        guard let blank = text.range(of: "\n\n") else { return nil }
        var lines = text[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first == Substring(Self.header) else { return nil }
        lines.removeFirst()
        entry = nil
        if let line = lines.first, line.hasPrefix("extra ") {
            guard let bytes = Data(base64Encoded: String(line.dropFirst(6))) else { return nil }
            entry = Array(bytes)
            lines.removeFirst()
        }
        guard let line = lines.first, line.hasPrefix("index "), let index = Int(line.dropFirst(6)), index >= 0,
            String(index) == line.dropFirst(6)
        else { return nil }
        self.index = index
        lines.removeFirst()
        let hashes = lines.compactMap { Data(base64Encoded: String($0)).map(Array.init) }
        guard hashes.count == lines.count, hashes.allSatisfy({ $0.count == 32 }) else { return nil }
        proof = hashes
        note = String(text[blank.upperBound...])
    }

    /// What a verified proof shows.
    package struct Verified: Sendable, Equatable {
        package var checkpoint: Checkpoint
        package var entry: [UInt8]
        /// The witnesses whose cosignatures verified.
        package var cosigners: [String]
    }

    /// Checks the proof against the log's key and the witnesses required (at least `quorum` of `witnesses`).
    /// - Throws: `SignedNote.Refusal` naming what does not hold.
    package func verify(key: NoteKey, witnesses: [NoteKey] = [], quorum: Int = 0) throws -> Verified {
        let body = try SignedNote.verify(note, key: key)
        guard let checkpoint = Checkpoint(body: body), checkpoint.origin == key.name else {
            throw SignedNote.Refusal(reason: "the signed note is not a checkpoint of \(key.name)")
        }
        let cosigners = try Cosignature.verify(note, witnesses: witnesses).map(\.name)
        guard cosigners.count >= quorum else {
            throw SignedNote.Refusal(
                reason: "the checkpoint has \(cosigners.count) valid witness cosignature(s) of the \(quorum) required")
        }
        guard let entry else { throw SignedNote.Refusal(reason: "the proof does not carry its entry") }
        guard
            Merkle.verifyInclusion(
                leafHash: Merkle.leafHash(entry), index: index, size: checkpoint.size, proof: proof,
                root: checkpoint.root)
        else {
            throw SignedNote.Refusal(
                reason: "entry \(index) with this content is not in the log of size \(checkpoint.size)")
        }
        return Verified(checkpoint: checkpoint, entry: entry, cosigners: cosigners)
    }
}
