import Delivery
import Foundation
import Postgres
import Texts

/// Seeds one pending delivery (department, test key, citizen, application) for tests of what happens after
/// the API has accepted an outcome. Returns the delivery id.
package func seedDelivery(
    on connection: Connection, mobile: String? = "+919800000001", email: String? = "a@example.in",
    whatsappOptIn: Bool = true, language: Language = .mr, requested: [Channel]? = nil,
    decision: String = "approved", callbackURL: String? = nil, callbackSecret: String? = nil
) throws -> UUID {
    try Departments.upsert(code: "REV", name: "Revenue", on: connection)
    if let callbackURL {
        try connection.query(
            "UPDATE departments SET callback_url = $1, callback_secret = $2 WHERE code = 'REV'",
            [callbackURL, callbackSecret])
    }
    let key = try APIKeys.create(department: "REV", kind: .test, label: "seed", on: connection).key
    let consents =
        whatsappOptIn ? [Consent(channel: .whatsapp, granted: true, source: "portal", recordedAt: Date())] : []
    _ = try Citizens.put(
        portalUserID: "u1", mobile: mobile, email: email, language: language, consents: consents, on: connection)
    try connection.query(
        """
        INSERT INTO applications (portal_application_id, department, service_code, office_code, citizen_id)
        SELECT 'A1', 'REV', 'INCOME', 'HAVELI', id FROM citizens WHERE portal_user_id = 'u1'
        """)
    let id = UUID.timeOrdered()
    try connection.query(
        """
        INSERT INTO deliveries (id, application_id, api_key_id, is_test, decision, language, requested_channels)
        SELECT $1, id, $2, true, $3, $4, $5::text[] FROM applications WHERE portal_application_id = 'A1'
        """, [id, key.id, decision, language.rawValue, requested?.map(\.rawValue)])
    return id
}

extension Citizens {
    /// A citizen with exactly these details, written as an operator's tool would (no API key): for fixtures.
    package static func put(
        portalUserID: String, mobile: String?, email: String?, language: Language, consents: [Consent],
        on connection: Connection
    ) throws -> Citizen {
        try put(
            portalUserID: portalUserID, mobile: mobile.map { .set($0) } ?? .clear,
            email: email.map { .set($0) } ?? .clear, language: language,
            consents: consents, by: nil, on: connection)
    }
}
