import Cryptography
import Foundation
import HTTPClient
import Seals
import ServiceRuntime
import TransparencyLog

/// `dakiya-audit verify FILE.pdf`: is this PDF a certificate the gateway delivered, and is it still valid? From
/// the published key registry and the status list (files downloaded once, or their URLs), and, with `--log`,
/// the transparency log: the seal's issue entry is proved in the signed log, and the `certificate.sealed` entry
/// shows these exact bytes were delivered.
struct PDFVerifier {
    let client: HTTPClient

    struct Registry: Decodable {
        struct Key: Decodable {
            var keyID: String
            var department: String
            var departmentName: String
            var publicKey: String
            var retiredAt: Date?
        }
        var keys: [Key]
    }

    struct StatusList: Decodable {
        struct Revoked: Decodable {
            var certificate_id: String
            var reason: String
        }
        var revoked: [Revoked]
    }

    /// A file's bytes, or a URL's body.
    func load(_ source: String) throws -> [UInt8] {
        if source.hasPrefix("http://") || source.hasPrefix("https://") {
            let response = try client.send(HTTPClientRequest(url: source))
            guard response.status == 200 else {
                throw AuditFailure(reason: "GET \(source) answered \(response.status)")
            }
            return response.body
        }
        guard let data = FileManager.default.contents(atPath: source) else {
            throw AuditFailure(reason: "cannot read \(source)")
        }
        return Array(data)
    }

    /// The verdict on `file`, with `slip` the verification slip delivered beside a digitally signed certificate (its
    /// seal stands for the certificate whose SHA-256 it names).
    func verify(file: String, keys: String, revoked: String, slip: String? = nil, log: Auditor?) throws -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw AuditFailure(reason: "cannot read \(file)")
        }
        let pdf = Array(data)
        guard pdf.starts(with: Array("%PDF-".utf8)) else { throw AuditFailure(reason: "\(file) is not a PDF") }
        let digest = SHA256.hexDigest(pdf)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let registry = try decoder.decode(Registry.self, from: Data(try load(keys)))
        let status = try decoder.decode(StatusList.self, from: Data(try load(revoked)))
        var report: [String] = ["file SHA-256 \(digest)"]
        var certificateID: String?
        var issueIndex: Int?
        var sealSource = pdf
        if let slip {
            guard let data = FileManager.default.contents(atPath: slip) else {
                throw AuditFailure(reason: "cannot read \(slip)")
            }
            sealSource = Array(data)
            guard let named = StampPDF.slipDigest(in: sealSource) else {
                throw AuditFailure(reason: "\(slip) is not a verification slip")
            }
            guard named == digest else {
                throw AuditFailure(
                    reason: "NOT GENUINE: the slip stands for the file with SHA-256 \(named), not for this one")
            }
            report.append("the verification slip names exactly this file")
        }
        if let url = StampPDF.sealURL(in: sealSource), let text = url.split(separator: "/").last {
            let seal: Seal
            do { seal = try Seal(text: String(text)) } catch let error as Seal.Malformed {
                throw AuditFailure(reason: "NOT GENUINE: the seal in the file is malformed (\(error.reason))")
            }
            guard let key = registry.keys.first(where: { $0.keyID == Hex.encode(seal.keyID) }),
                let publicKey = Data(base64Encoded: key.publicKey).map(Array.init), seal.isSigned(by: publicKey)
            else { throw AuditFailure(reason: "NOT GENUINE: the seal is not signed by any published key") }
            if let retired = key.retiredAt,
                seal.issuedOn > String(ISO8601DateFormatter().string(from: retired).prefix(10))
            {
                throw AuditFailure(reason: "NOT GENUINE: the seal is dated after its key was retired")
            }
            report.append(
                "seal of \(seal.certificateID) (\(seal.documentType), issued \(seal.issuedOn)) signed by \(key.departmentName)"
            )
            certificateID = seal.certificateID
            issueIndex = seal.logIndex
        } else {
            report.append("no seal printed in the file (a digitally signed certificate is delivered unchanged)")
        }
        if let log {
            let found = try log.sealedEntry(
                certificateID: certificateID, deliveredSHA256: digest, from: issueIndex ?? 0)
            guard let found else {
                throw AuditFailure(
                    reason: "NOT GENUINE: the log records no certificate delivered with exactly these bytes"
                        + (certificateID.map { " as \($0)" } ?? ""))
            }
            certificateID = certificateID ?? found.certificate
            report.append(
                "log: issue entry \(found.issueIndex) and certificate.sealed entry \(found.index) are in the signed log of size \(found.size); the delivered bytes match"
            )
        } else if certificateID == nil {
            throw AuditFailure(reason: "no seal in the file: give --log to look its bytes up in the transparency log")
        } else {
            report.append("the file's bytes were not checked against the log (no --log given)")
        }
        if let certificateID, let entry = status.revoked.first(where: { $0.certificate_id == certificateID }) {
            throw AuditFailure(reason: "REVOKED: certificate \(certificateID) was revoked (\(entry.reason))")
        }
        return (report + ["VALID: certificate \(certificateID ?? "?") is genuine and not revoked"]).joined(
            separator: "\n")
    }
}

extension Auditor {
    /// What the log shows of a sealed certificate.
    struct SealedEntry {
        var certificate: String
        var index: Int
        var issueIndex: Int
        var size: Int
    }

    /// The `certificate.sealed` entry for `certificateID` (or, without one, for the delivered `deliveredSHA256`),
    /// searched from index `from`, with both it and its issue entry proved in the signed log; nil when none matches.
    func sealedEntry(certificateID: String?, deliveredSHA256: String, from: Int) throws -> SealedEntry? {
        let (_, checkpoint) = try latest()
        var bundle = from / Tiles.width
        while bundle * Tiles.width < checkpoint.size {
            let width = min(Tiles.width, checkpoint.size - bundle * Tiles.width)
            let path = Tiles.Path(level: nil, index: bundle, partialWidth: width == Tiles.width ? nil : width)
            guard let entries = Tiles.entries(ofBundle: try get("/tile/\(path)")), entries.count == width else {
                throw AuditFailure(reason: "the entry bundle \(path) is malformed")
            }
            for (offset, entry) in entries.enumerated() {
                guard let object = try? JSONSerialization.jsonObject(with: Data(entry)) as? [String: Any],
                    object["type"] as? String == "certificate.sealed",
                    certificateID == nil || object["certificate"] as? String == certificateID,
                    object["delivered_sha256"] as? String == deliveredSHA256,
                    let certificate = object["certificate"] as? String, let issue = object["issue_index"] as? Int
                else { continue }
                let index = bundle * Tiles.width + offset
                try prove(entry: entry, index: index, checkpoint: checkpoint)
                guard let issued = try entriesAt(issue, checkpoint: checkpoint) else {
                    throw AuditFailure(reason: "the issue entry \(issue) is missing from the log")
                }
                try prove(entry: issued, index: issue, checkpoint: checkpoint)
                return SealedEntry(certificate: certificate, index: index, issueIndex: issue, size: checkpoint.size)
            }
            bundle += 1
        }
        return nil
    }

    func entriesAt(_ index: Int, checkpoint: Checkpoint) throws -> [UInt8]? {
        guard index < checkpoint.size else { return nil }
        let bundle = index / Tiles.width
        let width = min(Tiles.width, checkpoint.size - bundle * Tiles.width)
        let path = Tiles.Path(level: nil, index: bundle, partialWidth: width == Tiles.width ? nil : width)
        return Tiles.entries(ofBundle: try get("/tile/\(path)")).flatMap {
            index % Tiles.width < $0.count ? $0[index % Tiles.width] : nil
        }
    }

    /// Checks the log's inclusion proof of `entry` at `index` against the signed checkpoint.
    func prove(entry: [UInt8], index: Int, checkpoint: Checkpoint) throws {
        struct Proof: Decodable { var proof: [String] }
        let proof = try JSONDecoder().decode(
            Proof.self, from: Data(try get("/proof/inclusion?index=\(index)&size=\(checkpoint.size)")))
        guard
            Merkle.verifyInclusion(
                leafHash: Merkle.leafHash(entry), index: index, size: checkpoint.size,
                proof: proof.proof.compactMap { Data(base64Encoded: $0).map(Array.init) }, root: checkpoint.root)
        else { throw AuditFailure(reason: "entry \(index) is not in the signed log: the log was altered") }
    }
}
