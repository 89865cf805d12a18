import Foundation
import JobContracts
import Postgres

/// Applications as the departments report them: the one upsert every writer uses.
package enum Applications {
    /// The upsert of an application, as a SQL fragment for a bigger statement. Its parameters are named
    /// (`:application_id`, `:department`, `:service`, `:office`, `:village`, `:offices`); the citizen's id comes from `citizenID`
    /// (an expression, e.g. `c.id`) selected `from` a CTE, and the insert happens only `when` (a condition) holds.
    /// An application of another department, or of an office the key does not cover (`:offices`, empty for every
    /// office), is neither updated nor returned. Returns `id, department, citizen_id, log_salt`.
    package static func upsert(citizenID: String, from source: String, when condition: String = "true") -> String {
        """
        INSERT INTO applications (portal_application_id, department, service_code, office_code, village_code, citizen_id)
        SELECT :application_id, :department, :service, :office, :village, \(citizenID) FROM \(source) WHERE \(condition)
        ON CONFLICT (portal_application_id) DO UPDATE
        SET service_code = excluded.service_code, office_code = excluded.office_code,
            village_code = coalesce(excluded.village_code, applications.village_code), updated_at = now()
        WHERE applications.department = excluded.department
          AND (cardinality(:offices::text[]) = 0 OR applications.office_code = ANY(:offices::text[]))
        RETURNING id, department, citizen_id, log_salt
        """
    }

    /// What `record` needs.
    package struct Report: Sendable {
        package var applicationID: String
        package var department: String
        package var service: String
        package var office: String
        package var citizenID: Int64
        /// The offices the caller's key covers; empty for every office.
        package var offices: [String]
        /// The village the application names (an office of type village), if any; nil keeps the one recorded.
        package var village: String?

        /// A report of an application by a department's key.
        package init(
            applicationID: String, department: String, service: String, office: String, citizenID: Int64,
            offices: [String], village: String? = nil
        ) {
            self.village = village
            self.applicationID = applicationID
            self.department = department
            self.service = service
            self.office = office
            self.citizenID = citizenID
            self.offices = offices
        }
    }

    static let recordStatement = NamedStatement<Report>(
        upsert(citizenID: ":citizen_id", from: "(SELECT 1) AS one"),
        bind: [
            "application_id": { $0.applicationID }, "department": { $0.department }, "service": { $0.service },
            "office": { $0.office }, "citizen_id": { $0.citizenID }, "offices": { $0.offices },
            "village": { $0.village },
        ])

    /// Creates the application, or updates its service and office. Returns its department and citizen, or nil when
    /// it is another department's (or an office's the key does not cover): then nothing changed.
    /// - Throws: `PostgresError` from the database.
    package static func record(_ report: Report, on connection: Connection) throws -> (
        department: String, citizenID: Int64
    )? {
        guard let row = try connection.query(recordStatement, report).first else { return nil }
        return (try row.decode(String.self, "department"), try row.decode(Int64.self, "citizen_id"))
    }
}

/// An outcome the portal reported, recorded with its delivery and the dispatcher's job in one statement.
package struct OutcomeRecord: Sendable {
    package var applicationID: String
    package var department: String
    package var service: String
    package var office: String
    /// The citizen's portal user id.
    package var citizen: String
    package var deliveryID: UUID
    package var apiKeyID: Int64
    package var isTest: Bool
    package var decision: String
    package var reasons: [String]
    /// Nil: the citizen's registered language.
    package var language: String?
    package var documentID: Int64?
    package var documentFileName: String?
    /// Nil: every channel the citizen can be reached on.
    package var channels: [String]?
    /// The offices the key covers; empty for every office.
    package var offices: [String]
    /// The village the application names (checked by the caller to be a village); nil keeps the one recorded.
    package var village: String?
    /// The idempotency key, the request's fingerprint and the answer a replay gets.
    package var idempotencyKey: String
    package var requestHash: [UInt8]
    package var responseStatus: Int
    package var responseBody: String
    package var responseLocation: String?

    /// An outcome with everything its one statement records.
    package init(
        applicationID: String, department: String, service: String, office: String, citizen: String,
        deliveryID: UUID, apiKeyID: Int64, isTest: Bool, decision: String, reasons: [String], language: String?,
        documentID: Int64?, documentFileName: String?, channels: [String]?, offices: [String],
        idempotencyKey: String, requestHash: [UInt8], responseStatus: Int, responseBody: String,
        responseLocation: String?, village: String? = nil
    ) {
        self.village = village
        self.applicationID = applicationID
        self.department = department
        self.service = service
        self.office = office
        self.citizen = citizen
        self.deliveryID = deliveryID
        self.apiKeyID = apiKeyID
        self.isTest = isTest
        self.decision = decision
        self.reasons = reasons
        self.language = language
        self.documentID = documentID
        self.documentFileName = documentFileName
        self.channels = channels
        self.offices = offices
        self.idempotencyKey = idempotencyKey
        self.requestHash = requestHash
        self.responseStatus = responseStatus
        self.responseBody = responseBody
        self.responseLocation = responseLocation
    }

    /// Why an outcome was refused; the statement wrote nothing.
    package enum Refusal: Error, Equatable {
        /// No citizen with this portal user id.
        case unknownCitizen
        /// Another department's application, or another office's for a key limited to some offices.
        case outsideKey
        /// The application belongs to another citizen.
        case otherCitizen
    }

    /// What happened to an outcome that was not refused.
    package enum Result: Sendable, Equatable {
        case accepted
        /// The idempotency key was already used: nothing was written.
        case replayed
    }

    /// The accept: claims the idempotency key (with the answer a replay gets), finds the citizen, finds or creates the
    /// application (only once the key is claimed), records the delivery and its `delivery.requested` job. Each refusal
    /// (`dakiya_refuse`) aborts the whole statement, so it leaves nothing behind.
    static let statement = NamedStatement<OutcomeRecord>(
        """
        WITH c AS (SELECT id, language FROM citizens WHERE portal_user_id = :citizen),
        idem AS (
            INSERT INTO idempotency_keys (department, key, request_hash, response_status, response_body, response_location)
            VALUES (:department, :idempotency_key, :request_hash, :response_status, :response_body, :response_location)
            ON CONFLICT DO NOTHING RETURNING 1),
        app AS (\(Applications.upsert(citizenID: "c.id", from: "c", when: "EXISTS (SELECT 1 FROM idem)"))),
        d AS (
            INSERT INTO deliveries (id, application_id, api_key_id, is_test, decision, reasons, language, document_id, requested_channels, idempotency_key,
                                    document_file_name)
            SELECT :delivery_id, app.id, :api_key_id, :is_test, :decision, :reasons::text[], coalesce(:language, c.language), :document_id,
                   :channels::text[], :idempotency_key, :document_file_name
            FROM app, c WHERE app.citizen_id = c.id
            RETURNING jsonb_build_object('delivery_id', id) AS payload, \(UniqueKeys.deliverySQL("id")) AS unique_key),
        logged AS (
            -- With a certificate, the entry names its delivery (the seal will carry the index of the entry).
            INSERT INTO log_queue (entries, ref)
            SELECT ARRAY[\(TransparencyEntries.outcomeAccepted)], CASE WHEN :document_id::bigint IS NOT NULL THEN (SELECT (payload->>'delivery_id')::uuid FROM d) END
            FROM app WHERE EXISTS (SELECT 1 FROM d) AND NOT :is_test AND dakiya_log_on()),
        \(Jobs.deliveryRequested.enqueueClauses("job", priority: 1, from: "d"))
        SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM idem) THEN 'replayed'
                    WHEN NOT EXISTS (SELECT 1 FROM c) THEN dakiya_refuse('DKU01')
                    WHEN NOT EXISTS (SELECT 1 FROM app) THEN dakiya_refuse('DKD01')
                    WHEN NOT EXISTS (SELECT 1 FROM d) THEN dakiya_refuse('DKC01')
                    ELSE 'accepted' END AS result,
               (SELECT count(*) FROM job_notified)
        """,
        bind: [
            "application_id": { $0.applicationID }, "department": { $0.department }, "service": { $0.service },
            "office": { $0.office }, "citizen": { $0.citizen }, "delivery_id": { $0.deliveryID },
            "api_key_id": { $0.apiKeyID }, "is_test": { $0.isTest }, "decision": { $0.decision },
            "reasons": { $0.reasons }, "language": { $0.language }, "document_id": { $0.documentID },
            "document_file_name": { $0.documentFileName }, "channels": { $0.channels }, "offices": { $0.offices },
            "village": { $0.village },
            "idempotency_key": { $0.idempotencyKey }, "request_hash": { PostgresBytes($0.requestHash) },
            "response_status": { $0.responseStatus }, "response_body": { $0.responseBody },
            "response_location": { $0.responseLocation },
        ])

    /// Records the outcome (see `statement`), on `connection` (inside its transaction, if one is open).
    /// - Throws: `Refusal` when the citizen is unknown or the application is not the key's or the citizen's;
    ///   `PostgresError` from the database.
    package func record(on connection: Connection) throws -> Result {
        do {
            let row = try connection.query(Self.statement, self).first
            return try row?.decode(String.self, "result") == "accepted" ? .accepted : .replayed
        } catch let error as PostgresError where error.sqlState == "DKU01" {
            throw Refusal.unknownCitizen
        } catch let error as PostgresError where error.sqlState == "DKD01" {
            throw Refusal.outsideKey
        } catch let error as PostgresError where error.sqlState == "DKC01" {
            throw Refusal.otherCitizen
        }
    }
}

extension Applications {
    /// An application as the department reported it.
    package struct Reported: Sendable, Equatable {
        package var id: Int64
        package var department: String
        package var office: String
    }

    /// The application with this portal number, whoever it belongs to (the caller checks the key's scope).
    /// - Throws: `PostgresError` from the database.
    package static func find(portalID: String, on connection: Connection) throws -> Reported? {
        guard
            let row = try connection.query(
                "SELECT id, department, office_code FROM applications WHERE portal_application_id = $1", [portalID]
            ).first
        else { return nil }
        return Reported(
            id: try row.decode(Int64.self, at: 0), department: try row.decode(String.self, at: 1),
            office: try row.decode(String.self, at: 2))
    }

    /// Whether the application's latest outcome came with a test key (so what follows from it, an appeal filed in
    /// the chat among them, stays in the test sinks). False for an application with no outcome.
    /// - Throws: `PostgresError` from the database.
    package static func isTest(portalID: String, on connection: Connection) throws -> Bool {
        try connection.query(
            """
            SELECT d.is_test FROM deliveries d JOIN applications a ON a.id = d.application_id
            WHERE a.portal_application_id = $1 AND d.api_key_id IS NOT NULL
            ORDER BY d.created_at DESC LIMIT 1
            """, [portalID]
        ).first?.decode(Bool.self, at: 0) ?? false
    }
}

/// The entries the delivery path writes to the transparency log (`log_queue`, in the same statement as the domain
/// write), as SQL expressions over the statement's rows: canonical JSON (RFC 8785) written out with the members in
/// their sorted order (cheaper on these hot paths than `dakiya_log_entry`; tests re-canonicalise what they wrote),
/// versioned and typed, without personal data: the application appears only as its salted commitment. Deliveries
/// made with a test key are not logged: the log records service to citizens.
package enum TransparencyEntries {
    /// `outcome.accepted`: when, the application's commitment, the delivery, department, service, office, decision and the
    /// SHA-256 of the certificate as received (null without one). Over the accept statement's `app` row and its
    /// named parameters.
    static let outcomeAccepted = """
        convert_to('{"application":"' || dakiya_log_commitment(app.log_salt, :application_id) || '","at":"'
            || dakiya_log_time(now()) || '","certificate_sha256":'
            || coalesce('"' || (SELECT encode(sha256, 'hex') FROM documents WHERE id = :document_id::bigint) || '"', 'null')
            || ',"decision":' || to_json(:decision::text)::text || ',"delivery":"' || :delivery_id::text
            || '","department":' || to_json(:department::text)::text || ',"office":' || to_json(:office::text)::text
            || ',"service":' || to_json(:service::text)::text || ',"type":"outcome.accepted","v":1}', 'UTF8')
        """

    /// `channel.state`: a channel reached sent, delivered, read or failed for a delivery (other states are not
    /// logged). An insert into `log_queue` of one row holding the entries of all the rows of `source` (columns
    /// `delivery_id`, `channel`, `state`) in delivery and channel order, to run as a CTE of the statement that moved
    /// them; nothing when none of them is logged.
    package static func channelState(from source: String) -> String {
        """
        INSERT INTO log_queue (entries)
        SELECT array_agg(convert_to('{"application":"' || dakiya_log_commitment(a.log_salt, a.portal_application_id)
                   || '","at":"' || dakiya_log_time(now()) || '","channel":' || to_json(s.channel::text)::text
                   || ',"delivery":"' || s.delivery_id::text || '","state":' || to_json(s.state::text)::text
                   || ',"type":"channel.state","v":1}', 'UTF8') ORDER BY s.delivery_id, s.channel, s.state)
        FROM \(source) s JOIN deliveries d ON d.id = s.delivery_id JOIN applications a ON a.id = d.application_id
        WHERE s.state IN ('sent', 'delivered', 'read', 'failed') AND NOT d.is_test AND dakiya_log_on()
        HAVING count(*) > 0
        """
    }
}
