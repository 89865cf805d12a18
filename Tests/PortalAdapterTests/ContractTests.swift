import Cryptography
import Delivery
import Dispatcher
import Foundation
import JobContracts
import JobQueue
import Postgres
@testable import PortalAdapter
import Testing
import TransparencyLog
import WhatsAppGraph
import TestSupport

/// The payloads SQL builds itself (`jsonb_build_object` inside the accept and routing statements) are the ones the
/// contracts declare: every job those statements write is on its contract's queue and decodes with its payload type.
@Suite("Job contracts")
struct ContractTests {
    @Test("the accept statement's and the routing statement's jobs match their contracts")
    func sqlPayloadsDecode() throws {
        let fixture = try PortalFixture()
        try fixture.registerCitizen()
        // A live key: test traffic stays out of the transparency log (checked at the end).
        let accepted = try fixture.send(
            "POST", "/v1/applications/CT-1/outcome", json: PortalAPITests.outcome(), key: fixture.havelieOnlyKey,
            idempotencyKey: "ct-1")
        #expect(accepted.status == 202)
        struct Accepted: Decodable { var delivery_id: UUID }
        let deliveryID = try JSONDecoder().decode(Accepted.self, from: Data(accepted.body)).delivery_id
        let connection = try fixture.db.connect()
        func jobs(_ kind: String) throws -> [ClaimedJob] {
            try connection.query("SELECT id, queue, kind, payload FROM jobs WHERE kind = $1 ORDER BY id", [kind]).rows
                .map {
                    ClaimedJob(
                        id: try $0.decode(Int64.self, at: 0), queue: try $0.decode(String.self, at: 1),
                        kind: try $0.decode(String.self, at: 2),
                        attempt: 1, maxAttempts: 20, payload: try $0.decode(PostgresJSON.self, at: 3))
                }
        }
        let requested = try jobs(Jobs.deliveryRequested.kind)
        #expect(requested.map(\.queue) == [Jobs.deliveryRequested.queue.name])
        #expect(
            try requested.map { try Jobs.deliveryRequested.payload(of: $0) } == [
                DeliveryRequested(deliveryID: deliveryID)
            ])
        #expect(
            try connection.query("SELECT unique_key FROM jobs WHERE kind = $1", [Jobs.deliveryRequested.kind]).first?
                .decode(String.self, at: 0) == UniqueKeys.delivery(deliveryID),
            "the key SQL wrote is the key Swift writes")

        // The accept queued its transparency-log entry in the same statement: no personal data, the application
        // only as SHA-256(salt ‖ id).
        let entry = try #require(
            try connection.query("SELECT convert_from(e, 'UTF8') FROM log_queue, unnest(entries) AS e").first?.decode(
                String.self, at: 0))
        let salt = try #require(
            try connection.query("SELECT log_salt FROM applications WHERE portal_application_id = 'CT-1'").first?
                .decode(PostgresBytes.self, at: 0).bytes)
        let commitment = SHA256.hexDigest(salt + Array("CT-1".utf8))
        #expect(
            entry.hasPrefix(#"{"application":"\#(commitment)","at":""#) && entry.contains(#""certificate_sha256":"#)
                && entry.hasSuffix(#""type":"outcome.accepted","v":1}"#), "\(entry)")
        #expect(!entry.contains("CT-1") && !entry.contains("citizen"), "no application number, no citizen")
        #expect(CanonicalJSON.isCanonical(Array(entry.utf8)), "the SQL wrote RFC 8785 canonical JSON")
        let test = try fixture.send(
            "POST", "/v1/applications/CT-2/outcome", json: PortalAPITests.outcome(), idempotencyKey: "ct-2")
        #expect(test.status == 202)
        #expect(
            try connection.query("SELECT count(*) FROM log_queue").first?.decode(Int.self, at: 0) == 1,
            "an outcome sent with a test key is not logged")
        try DeliveryRouter.route(deliveryID: deliveryID, queue: JobQueue(), on: connection)
        let sends = try jobs(Jobs.channelSend.kind)
        #expect(Set(sends.map(\.queue)) == [Queue.whatsapp.name, Queue.email.name])
        let attempts = try connection.query(
            "SELECT id FROM channel_attempts WHERE delivery_id = $1 AND state = 'queued' ORDER BY id", [deliveryID]
        ).rows
            .map { try $0.decode(Int64.self, at: 0) }
        #expect(
            try sends.map { try Jobs.channelSend.payload(of: $0) }.sorted { $0.attemptID < $1.attemptID }
                == attempts.map { ChannelSend(attemptID: $0, deliveryID: deliveryID, isTest: false) })
        #expect(
            Set(
                try connection.query("SELECT unique_key FROM jobs WHERE kind = $1", [Jobs.channelSend.kind]).rows.map {
                    try $0.decode(String.self, at: 0)
                }) == Set(attempts.map(UniqueKeys.attempt)))
        // Every job on the table is of a declared kind on its declared queue.
        let declared: [String: Set<String>] = [
            Jobs.deliveryRequested.kind: [Queue.dispatcher.name],
            Jobs.channelSend.kind: [Queue.whatsapp.name, Queue.email.name],
            Jobs.attemptMoved.kind: [Queue.dispatcher.name], Jobs.attemptsMoved.kind: [Queue.dispatcher.name],
            Jobs.callbackDeliver.kind: [Queue.portal.name],
        ]
        for row in try connection.query("SELECT DISTINCT kind, queue FROM jobs").rows {
            let kind = try row.decode(String.self, at: 0), queue = try row.decode(String.self, at: 1)
            #expect(declared[kind]?.contains(queue) == true, "\(kind) on \(queue)")
        }
    }
}
