import Foundation
import Texts
import Postgres

/// The channels Dakiya delivers on.
package enum Channel: String, Sendable, Codable, CaseIterable, Comparable {
    case portal, whatsapp, email

    package static func < (lhs: Channel, rhs: Channel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One consent or opt-out, as recorded.
package struct Consent: Sendable, Equatable, Codable {
    package var channel: Channel
    package var granted: Bool
    package var source: String
    package var recordedAt: Date

    /// A consent (or opt-out, when not `granted`) for `channel`, with its source and time.
    package init(channel: Channel, granted: Bool, source: String, recordedAt: Date) {
        self.channel = channel
        self.granted = granted
        self.source = source
        self.recordedAt = recordedAt
    }

    enum CodingKeys: String, CodingKey { case channel, granted, source, recordedAt = "recorded_at" }
}

/// A citizen as the portal knows them.
package struct Citizen: Sendable, Equatable {
    package var id: Int64
    package var portalUserID: String
    package var mobile: String?
    package var email: String?
    package var language: Language
    /// The latest choice per channel.
    package var consents: [Consent]

    /// A citizen as stored, with their latest consent per channel.
    package init(
        id: Int64, portalUserID: String, mobile: String?, email: String?, language: Language, consents: [Consent]
    ) {
        self.id = id
        self.portalUserID = portalUserID
        self.mobile = mobile
        self.email = email
        self.language = language
        self.consents = consents
    }

    /// The current choice for `channel`, if the citizen ever made one.
    package func consent(for channel: Channel) -> Consent? { consents.first { $0.channel == channel } }
}

/// A change to one field of a citizen's record: an omitted field keeps its value, never a silent wipe.
package enum FieldChange<Value: Sendable & Equatable>: Sendable, Equatable {
    case keep
    case set(Value)
    case clear
}

/// Reading and writing citizens and their consent history.
package enum Citizens {
    /// Creates a citizen or changes the fields given (`.keep` leaves a field as it is; `.clear` removes a mobile or
    /// email), appends `consents` to the history, and records which API key made the change and which fields it
    /// changed. A new citizen's language is Marathi unless given.
    /// - Throws: `PostgresError` from the database.
    package static func put(
        portalUserID: String, mobile: FieldChange<String>, email: FieldChange<String>, language: Language?,
        consents: [Consent],
        by apiKeyID: Int64?, on connection: Connection
    ) throws -> Citizen {
        try connection.transaction { tx in
            func value(_ change: FieldChange<String>, old: String?) -> String? {
                switch change {
                case .keep: old
                case .set(let new): new
                case .clear: nil
                }
            }
            let existing = try tx.query(
                "SELECT id, mobile, email, language FROM citizens WHERE portal_user_id = $1 FOR UPDATE", [portalUserID]
            ).first
            let id: Int64
            var changed: [String] = []
            if let existing {
                id = try existing.decode(Int64.self, at: 0)
                let oldMobile = try existing.decode(String?.self, at: 1),
                    oldEmail = try existing.decode(String?.self, at: 2)
                let oldLanguage = try existing.decode(String.self, at: 3)
                let newMobile = value(mobile, old: oldMobile), newEmail = value(email, old: oldEmail)
                let newLanguage = language?.rawValue ?? oldLanguage
                if newMobile != oldMobile { changed.append("mobile") }
                if newEmail != oldEmail { changed.append("email") }
                if newLanguage != oldLanguage { changed.append("language") }
                if !changed.isEmpty {
                    try tx.query(
                        "UPDATE citizens SET mobile = $2, email = $3, language = $4, updated_at = now(), updated_by_key = $5 WHERE id = $1",
                        [id, newMobile, newEmail, newLanguage, apiKeyID])
                }
            } else {
                let newMobile = value(mobile, old: nil), newEmail = value(email, old: nil)
                changed = [newMobile.map { _ in "mobile" }, newEmail.map { _ in "email" }, "language"].compactMap { $0 }
                id = try required(
                    try tx.query(
                        """
                        INSERT INTO citizens (portal_user_id, mobile, email, language, updated_by_key) VALUES ($1, $2, $3, $4, $5) RETURNING id
                        """, [portalUserID, newMobile, newEmail, (language ?? .stateDefault).rawValue, apiKeyID]
                    ).first
                ).decode(Int64.self, at: 0)
            }
            if !consents.isEmpty {
                changed.append("consents")
                try tx.query(
                    """
                    INSERT INTO citizen_consents (citizen_id, channel, granted, source, recorded_at, api_key_id)
                    SELECT $1, *, $6 FROM unnest($2::text[], $3::boolean[], $4::text[], $5::timestamptz[])
                    """,
                    [
                        id, consents.map(\.channel.rawValue), consents.map(\.granted), consents.map(\.source),
                        consents.map(\.recordedAt), apiKeyID,
                    ])
            }
            if !changed.isEmpty || existing == nil {
                try tx.query(
                    "INSERT INTO citizen_changes (citizen_id, api_key_id, fields, created) VALUES ($1, $2, $3::text[], $4)",
                    [id, apiKeyID, changed, existing == nil])
            }
            guard let citizen = try find(portalUserID: portalUserID, on: tx) else {
                throw PostgresError(.protocolViolation, "the citizen just written is missing")
            }
            return citizen
        }
    }

    private static func required(_ row: Row?) throws -> Row {
        guard let row else { throw PostgresError(.protocolViolation, "INSERT returned no row") }
        return row
    }

    /// The id of the citizen with `portalUserID`, nil when there is none.
    /// - Throws: `PostgresError` from the database.
    package static func id(portalUserID: String, on connection: Connection) throws -> Int64? {
        try connection.query("SELECT id FROM citizens WHERE portal_user_id = $1", [portalUserID]).first?.decode(
            Int64.self, at: 0)
    }

    /// The language of the citizen most recently updated with this mobile number, nil when none has it.
    /// - Throws: `PostgresError` from the database.
    package static func language(mobile: String, on connection: Connection) throws -> String? {
        try connection.query(
            "SELECT language FROM citizens WHERE mobile = $1 ORDER BY updated_at DESC LIMIT 1", [mobile]
        ).first?.decode(String.self, at: 0)
    }

    /// Records a consent or opt-out given on a channel by whoever holds this mobile number (STOP or START on
    /// WhatsApp) for every citizen with that number, with its time and source. Returns the language of one of them
    /// (nil when no citizen has the number: nothing is recorded).
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package static func recordConsent(
        mobile: String, channel: Channel, granted: Bool, source: String, on connection: Connection
    ) throws -> String? {
        try connection.query(
            """
            WITH c AS (SELECT id, language FROM citizens WHERE mobile = $1),
            recorded AS (
                INSERT INTO citizen_consents (citizen_id, channel, granted, source, recorded_at)
                SELECT id, $2, $3, $4, now() FROM c)
            SELECT language FROM c ORDER BY id LIMIT 1
            """, [mobile, channel.rawValue, granted, source]
        ).first?.decode(String.self, at: 0)
    }

    /// The citizen with `portalUserID`, with their latest consent per channel.
    /// - Throws: `PostgresError` from the database.
    package static func find(portalUserID: String, on connection: Connection) throws -> Citizen? {
        try find(portalUserIDs: [portalUserID], on: connection)[portalUserID]
    }

    /// Several citizens by portal user id, with their latest consent per channel (one statement for any number).
    /// - Throws: `PostgresError` from the database.
    package static func find(portalUserIDs: [String], on connection: Connection) throws -> [String: Citizen] {
        guard !portalUserIDs.isEmpty else { return [:] }
        var citizens: [Int64: Citizen] = [:]
        for row in try connection.query(
            """
            SELECT c.id, c.portal_user_id, c.mobile, c.email, c.language, k.channel, k.granted, k.source, k.recorded_at
            FROM citizens c LEFT JOIN LATERAL (
                SELECT DISTINCT ON (channel) channel, granted, source, recorded_at FROM citizen_consents
                WHERE citizen_id = c.id ORDER BY channel, recorded_at DESC, id DESC) k ON true
            WHERE c.portal_user_id = ANY($1)
            """, [Array(Set(portalUserIDs))]
        ).rows {
            let id = try row.decode(Int64.self, at: 0)
            if citizens[id] == nil {
                citizens[id] = Citizen(
                    id: id, portalUserID: try row.decode(String.self, at: 1),
                    mobile: try row.decode(String?.self, at: 2),
                    email: try row.decode(String?.self, at: 3),
                    language: Language.resolve(try row.decode(String.self, at: 4)),
                    consents: [])
            }
            guard let channel = try row.decode(String?.self, at: 5).flatMap(Channel.init(rawValue:)) else { continue }
            citizens[id]?.consents.append(
                Consent(
                    channel: channel, granted: try row.decode(Bool.self, at: 6),
                    source: try row.decode(String.self, at: 7),
                    recordedAt: try row.decode(Date.self, at: 8)))
        }
        return Dictionary(
            uniqueKeysWithValues: citizens.values.map { citizen in
                var sorted = citizen
                sorted.consents.sort { $0.channel < $1.channel }
                return (citizen.portalUserID, sorted)
            })
    }
}
