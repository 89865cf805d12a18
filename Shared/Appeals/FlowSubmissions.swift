import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime

/// A WhatsApp Flow the citizen finished (the department's form to apply for a service, offered by "Find a
/// service"): kept once by wamid, and passed to the department's callback as `application.flow_submitted` with the
/// Flow's data exactly as Meta sent it.
package enum FlowSubmissions {
    /// What was kept: the service and its name in `language`, and the department's name (nil for a token of no
    /// service of ours).
    package struct Kept: Sendable, Equatable {
        package var service: String?
        package var serviceName: String?
        package var departmentName: String?
    }

    /// Keeps the Flow's answer once (nil for a repeated webhook) and queues its callback when the service's
    /// department takes callbacks, in the caller's transaction.
    /// - Throws: `PostgresError` from the database.
    package static func record(
        wamid: String, mobile: String, responseJSON: String, language: String, queue: JobQueue, on tx: Connection
    ) throws -> Kept? {
        let response = (try? JSONSerialization.jsonObject(with: Data(responseJSON.utf8))) as? [String: Any]
        let token = response?["flow_token"] as? String
        // Our token: service:<code>:<wamid of the message that offered the Flow>.
        let parts = token?.split(separator: ":", maxSplits: 2).map(String.init) ?? []
        let service = parts.count == 3 && parts[0] == "service" ? parts[1] : nil
        guard
            let row = try tx.query(
                """
                WITH s AS (SELECT code, department FROM services WHERE code = $3::text),
                kept AS (
                    INSERT INTO flow_submissions (wamid, mobile, service_code, department, flow_token, response)
                    SELECT $1::text, $2::text, (SELECT code FROM s), (SELECT d.code FROM departments d JOIN s ON s.department = d.code), $4::text, $5::jsonb
                    ON CONFLICT (wamid) DO NOTHING RETURNING id, service_code, department)
                SELECT kept.id, kept.service_code, service_name(kept.service_code, $6::text), kept.department,
                       (SELECT name FROM departments WHERE code = kept.department),
                       (SELECT callback_url IS NOT NULL FROM departments WHERE code = kept.department)
                FROM kept
                """,
                [
                    wamid, mobile, service, token,
                    PostgresJSON(text: response == nil ? "{\"unreadable\": true}" : responseJSON), language,
                ]
            ).first
        else { return nil }
        let kept = Kept(
            service: try row.decode(String?.self, at: 1), serviceName: try row.decode(String?.self, at: 2),
            departmentName: try row.decode(String?.self, at: 4))
        guard let department = try row.decode(String?.self, at: 3), try row.decode(Bool?.self, at: 5) == true else {
            return kept
        }
        let eventID = UUID.timeOrdered()
        let id = try row.decode(Int64.self, at: 0)
        // The body is built by the database, so the Flow's data goes out exactly as kept.
        try tx.query(
            """
            INSERT INTO portal_events (id, department, flow_submission_id, type, body)
            SELECT $1::uuid, $2::text, f.id, 'application.flow_submitted',
                   jsonb_build_object('id', $1::uuid::text, 'type', 'application.flow_submitted', 'created_at', $4::text,
                       'data', jsonb_build_object('submission_id', f.id, 'service', f.service_code, 'mobile', f.mobile,
                                                  'flow_token', f.flow_token, 'response', f.response,
                                                  'received_at', to_char(f.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))::text
            FROM flow_submissions f WHERE f.id = $3::bigint
            """, [eventID, department, id, Timestamp.rfc3339(Timestamp.nowMicroseconds())])
        try PortalEvents.enqueueCallback(eventID, queue: queue, on: tx)
        return kept
    }
}
