import Foundation
import Postgres

/// The channels Dakiya delivers on.
package enum Channel: String, Sendable, Codable, CaseIterable, Comparable {
    case portal, whatsapp, email

    package static func < (lhs: Channel, rhs: Channel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The languages citizens can choose.
package enum Language: String, Sendable, Codable, CaseIterable { case en, mr, hi, te }

/// One consent or opt-out, as recorded.
package struct Consent: Sendable, Equatable, Codable {
    package var channel: Channel
    package var granted: Bool
    package var source: String
    package var recordedAt: Date

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

    package init(id: Int64, portalUserID: String, mobile: String?, email: String?, language: Language, consents: [Consent]) {
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

/// Reading and writing citizens and their consent history.
package enum Citizens {
    /// Creates or replaces a citizen's contact details and language, and appends `consents` to the history.
    package static func put(portalUserID: String, mobile: String?, email: String?, language: Language, consents: [Consent],
                            on connection: Connection) throws -> Citizen {
        try connection.transaction { tx in
            let row = try tx.query("""
                INSERT INTO citizens (portal_user_id, mobile, email, language) VALUES ($1, $2, $3, $4)
                ON CONFLICT (portal_user_id) DO UPDATE
                SET mobile = excluded.mobile, email = excluded.email, language = excluded.language, updated_at = now()
                RETURNING id
                """, [portalUserID, mobile, email, language.rawValue]).first
            let id = try row?.decode(Int64.self, at: 0) ?? 0
            if !consents.isEmpty {
                try tx.query("""
                    INSERT INTO citizen_consents (citizen_id, channel, granted, source, recorded_at)
                    SELECT $1, * FROM unnest($2::text[], $3::boolean[], $4::text[], $5::timestamptz[])
                    """, [id, consents.map(\.channel.rawValue), consents.map(\.granted), consents.map(\.source), consents.map(\.recordedAt)])
            }
            guard let citizen = try find(portalUserID: portalUserID, on: tx) else {
                throw PostgresError(.protocolViolation, "the citizen just written is missing")
            }
            return citizen
        }
    }

    /// The citizen with `portalUserID`, with their latest consent per channel.
    package static func find(portalUserID: String, on connection: Connection) throws -> Citizen? {
        try find(portalUserIDs: [portalUserID], on: connection)[portalUserID]
    }

    /// Several citizens by portal user id, with their latest consent per channel (one statement for any number).
    package static func find(portalUserIDs: [String], on connection: Connection) throws -> [String: Citizen] {
        guard !portalUserIDs.isEmpty else { return [:] }
        var citizens: [Int64: Citizen] = [:]
        for row in try connection.query("""
            SELECT c.id, c.portal_user_id, c.mobile, c.email, c.language, k.channel, k.granted, k.source, k.recorded_at
            FROM citizens c LEFT JOIN LATERAL (
                SELECT DISTINCT ON (channel) channel, granted, source, recorded_at FROM citizen_consents
                WHERE citizen_id = c.id ORDER BY channel, recorded_at DESC, id DESC) k ON true
            WHERE c.portal_user_id = ANY($1)
            """, [Array(Set(portalUserIDs))]).rows {
            let id = try row.decode(Int64.self, at: 0)
            if citizens[id] == nil {
                citizens[id] = Citizen(id: id, portalUserID: try row.decode(String.self, at: 1), mobile: try row.decode(String?.self, at: 2),
                                       email: try row.decode(String?.self, at: 3), language: Language(rawValue: try row.decode(String.self, at: 4)) ?? .mr,
                                       consents: [])
            }
            guard let channel = try row.decode(String?.self, at: 5).flatMap(Channel.init(rawValue:)) else { continue }
            citizens[id]?.consents.append(Consent(channel: channel, granted: try row.decode(Bool.self, at: 6), source: try row.decode(String.self, at: 7),
                                                  recordedAt: try row.decode(Date.self, at: 8)))
        }
        return Dictionary(uniqueKeysWithValues: citizens.values.map { citizen in
            var sorted = citizen
            sorted.consents.sort { $0.channel < $1.channel }
            return (citizen.portalUserID, sorted)
        })
    }
}
