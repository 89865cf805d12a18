import Foundation
import JobContracts
import JobQueue
import Postgres

/// Rating the service (issue 19): once an outcome (approved or rejected) reaches the citizen on WhatsApp, they are
/// asked once per application, in their language, to rate the service from 1 to 5, and may add a comment. The
/// question is recorded in the same statement that moves the attempt to delivered, and its `rating.ask` job in the
/// same transaction; an application is asked once whatever repeats (its row is unique). Only departments that switch
/// it on (`departments.ask_ratings`) ask.
package enum ServiceRatings {
    /// The CTE body that records the question for attempts in `moved` (id, delivery_id, channel, state) that reached
    /// the citizen on WhatsApp, for departments that ask; returns the new rows' ids. The first condition is a
    /// one-time filter: with no department asking, nothing else of it runs.
    package static func askStatement(from moved: String) -> String {
        """
        INSERT INTO service_ratings (application_id, delivery_id, service_code, office_code, department, mobile, language, is_test)
        SELECT DISTINCT ON (a.id) a.id, d.id, a.service_code, a.office_code, a.department, c.mobile, d.language, d.is_test
        FROM \(moved) m JOIN deliveries d ON d.id = m.delivery_id JOIN applications a ON a.id = d.application_id
        JOIN departments dep ON dep.code = a.department JOIN citizens c ON c.id = a.citizen_id
        WHERE EXISTS (SELECT 1 FROM departments WHERE ask_ratings) AND dep.ask_ratings
          AND m.channel = 'whatsapp' AND m.state IN ('delivered', 'read') AND d.decision IN ('approved', 'rejected')
          AND c.mobile IS NOT NULL
        ORDER BY a.id, d.id
        ON CONFLICT (application_id) DO NOTHING
        RETURNING id
        """
    }

    /// The CTE body that records the question by email for attempts in `moved` (id, delivery_id, channel, state)
    /// when the outcome's email went out and WhatsApp does not carry the outcome (no attempt there on its way or
    /// through: no mobile, no opt-in, skipped or failed): asked as the email is marked sent, or, when the email went
    /// first, as the WhatsApp attempt fails. Returns the new rows' ids. One question per application, whichever
    /// channel asked first.
    package static func askByEmailStatement(from moved: String) -> String {
        """
        INSERT INTO service_ratings (application_id, delivery_id, service_code, office_code, department, channel, email, language, is_test)
        SELECT DISTINCT ON (a.id) a.id, d.id, a.service_code, a.office_code, a.department, 'email', c.email, d.language, d.is_test
        FROM \(moved) m JOIN deliveries d ON d.id = m.delivery_id JOIN applications a ON a.id = d.application_id
        JOIN departments dep ON dep.code = a.department JOIN citizens c ON c.id = a.citizen_id
        WHERE EXISTS (SELECT 1 FROM departments WHERE ask_ratings) AND dep.ask_ratings
          AND d.decision IN ('approved', 'rejected') AND c.email IS NOT NULL
          AND ((m.channel = 'email' AND m.state = 'sent')
               OR (m.channel = 'whatsapp' AND m.state = 'failed'
                   AND EXISTS (SELECT 1 FROM channel_attempts e WHERE e.delivery_id = d.id AND e.channel = 'email'
                               AND e.state IN ('sent', 'delivered', 'read'))))
          -- The statement's own moves are not seen by its snapshot: the attempt failing now still reads as sent.
          AND NOT EXISTS (SELECT 1 FROM channel_attempts w WHERE w.delivery_id = d.id AND w.channel = 'whatsapp'
                          AND w.state IN ('queued', 'sending', 'sent', 'delivered', 'read')
                          AND w.id NOT IN (SELECT f.id FROM \(moved) f WHERE f.state = 'failed'))
        ORDER BY a.id, d.id
        ON CONFLICT (application_id) DO NOTHING
        RETURNING id
        """
    }

    /// A question asked by email, found by its link's token (the citizen's answer page).
    package struct EmailQuestion: Sendable, Equatable {
        package var id: Int64
        package var applicationID: String
        package var service: String
        package var language: String
        package var rating: Int?
        package var commented: Bool
    }

    /// The email question whose link carries `token`; nil for an unknown token.
    /// - Throws: `PostgresError` from the database.
    package static func emailQuestion(token: String, language: String? = nil, on connection: Connection) throws
        -> EmailQuestion?
    {
        guard
            let row = try connection.query(
                """
                SELECT r.id, a.portal_application_id, service_name(r.service_code, coalesce($2, r.language)), r.language, r.rating, r.comment IS NOT NULL
                FROM service_ratings r JOIN applications a ON a.id = r.application_id
                WHERE r.token_sha256 = sha256(convert_to($1, 'UTF8')) AND r.channel = 'email'
                """, [token, language]
            ).first
        else { return nil }
        return EmailQuestion(
            id: try row.decode(Int64.self, at: 0), applicationID: try row.decode(String.self, at: 1),
            service: try row.decode(String.self, at: 2), language: try row.decode(String.self, at: 3),
            rating: try row.decode(Int?.self, at: 4), commented: try row.decode(Bool.self, at: 5))
    }

    /// Keeps the rating (and the comment, if any) answered on the email question's page, once; the same
    /// `rating.answered` log entry as a WhatsApp answer.
    /// - Throws: `PostgresError` from the database.
    package static func answer(token: String, rating: Int, comment: String?, on connection: Connection) throws -> Answer
    {
        guard (1...5).contains(rating) else { return .notAsked }
        let kept = comment.map { String($0.trimmingCharacters(in: .whitespacesAndNewlines).prefix(1000)) }
        let row = try connection.query(
            """
            WITH q AS (SELECT id, rating FROM service_ratings WHERE token_sha256 = sha256(convert_to($1, 'UTF8')) AND channel = 'email' FOR UPDATE),
            kept AS (UPDATE service_ratings r SET rating = $2, answered_at = now(),
                            comment = nullif($3, ''), commented_at = CASE WHEN nullif($3, '') IS NOT NULL THEN now() END
                     FROM q WHERE r.id = q.id AND q.rating IS NULL
                     RETURNING r.id, r.rating, r.application_id, r.department, r.service_code, r.office_code, r.is_test),
            logged AS (\(loggedAnswer(from: "kept")))
            SELECT (SELECT count(*) FROM q), (SELECT count(*) FROM kept)
            """, [token, rating, kept]
        ).first
        guard try row?.decode(Int.self, at: 0) == 1 else { return .notAsked }
        return try row?.decode(Int.self, at: 1) == 1 ? .recorded : .alreadyRated
    }

    /// `rating.answered`: when, the application's commitment, department, service, office and the rating (1–5), for
    /// the rows of `source` (columns rating, application_id, department, service_code, office_code, is_test); keys
    /// in canonical (sorted) order. Nothing for test deliveries or with the log switched off.
    static func loggedAnswer(from source: String) -> String {
        """
        INSERT INTO log_queue (entries)
        SELECT array_agg(convert_to('{"application":"' || dakiya_log_commitment(a.log_salt, a.portal_application_id)
                   || '","at":"' || dakiya_log_time(now()) || '","department":' || to_json(k.department::text)::text
                   || ',"office":' || to_json(k.office_code::text)::text || ',"rating":' || k.rating::text
                   || ',"service":' || to_json(k.service_code::text)::text || ',"type":"rating.answered","v":1}', 'UTF8'))
        FROM \(source) k JOIN applications a ON a.id = k.application_id
        WHERE NOT k.is_test AND dakiya_log_on()
        HAVING count(*) > 0
        """
    }

    /// The jobs that send newly recorded questions, inside the caller's transaction: `rating.ask` (WhatsApp) or
    /// `rating.ask_email`, one per question whichever channel asks (the unique key is the question's).
    /// - Throws: `PostgresError` from the database.
    package static func enqueueQuestions(
        _ ids: [Int64], by contract: JobContract<RatingAsk> = Jobs.ratingAsk, queue: JobQueue, on connection: Connection
    ) throws {
        guard !ids.isEmpty else { return }
        try queue.enqueue(
            try ids.map { try contract.job(RatingAsk(ratingID: $0), priority: 2, uniqueKey: "rating-ask:\($0)") },
            on: connection)
    }

    /// What a tap on a rating button did.
    package enum Answer: Equatable, Sendable {
        /// Kept: the citizen may add a comment now.
        case recorded
        /// This application was rated before (a repeated webhook, a second tap): the first answer stands.
        case alreadyRated
        /// Not a question asked of this number.
        case notAsked
    }

    /// Keeps `rating` (1–5) for question `id` if it was asked of `mobile` and not answered yet.
    /// - Throws: `PostgresError` from the database.
    package static func answer(id: Int64, rating: Int, mobile: String, on connection: Connection) throws -> Answer {
        guard (1...5).contains(rating) else { return .notAsked }
        // A rating kept is also a `rating.answered` entry of the transparency log: the application's commitment, the
        // department, service, office and the rating (never the comment), so an auditor counts them from the log.
        let row = try connection.query(
            """
            WITH q AS (SELECT id, rating FROM service_ratings WHERE id = $1 AND mobile = $3 FOR UPDATE),
            kept AS (UPDATE service_ratings r SET rating = $2, answered_at = now() FROM q
                     WHERE r.id = q.id AND q.rating IS NULL
                     RETURNING r.id, r.rating, r.application_id, r.department, r.service_code, r.office_code, r.is_test),
            logged AS (\(loggedAnswer(from: "kept")))
            SELECT (SELECT count(*) FROM q), (SELECT count(*) FROM kept)
            """, [id, rating, mobile]
        ).first
        guard try row?.decode(Int.self, at: 0) == 1 else { return .notAsked }
        return try row?.decode(Int.self, at: 1) == 1 ? .recorded : .alreadyRated
    }

    /// Keeps the citizen's comment on a rated question of theirs, once (at most 1,000 characters are kept).
    /// Returns false when there was nothing to keep it on.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package static func comment(id: Int64, text: String, mobile: String, on connection: Connection) throws -> Bool {
        let kept = String(text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(1000))
        guard !kept.isEmpty else { return false }
        return try connection.query(
            """
            UPDATE service_ratings SET comment = $2, commented_at = now()
            WHERE id = $1 AND mobile = $3 AND rating IS NOT NULL AND comment IS NULL
            """, [id, kept, mobile]
        ).affectedRows == 1
    }

    /// One line of the auditor's export: a service at an office over a period.
    package struct Summary: Sendable, Equatable {
        package var service: String
        package var office: String
        package var asked: Int
        package var answered: Int
        /// Answers by rating: index 0 is 1 star … 4 is 5 stars.
        package var counts: [Int]
        package var comments: Int
        /// The mean rating, nil with no answers.
        package var mean: Double? {
            answered == 0 ? nil : Double(zip(1...5, counts).map { $0 * $1 }.reduce(0, +)) / Double(answered)
        }
    }

    /// Questions asked from `from` to before `to`, per service and office (test deliveries left out); no comment
    /// text, only whether there was one.
    /// - Throws: `PostgresError` from the database.
    package static func summary(from: Date, to: Date, on connection: Connection) throws -> [Summary] {
        try connection.query(
            """
            SELECT service_code, office_code, count(*), count(rating),
                   count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2), count(*) FILTER (WHERE rating = 3),
                   count(*) FILTER (WHERE rating = 4), count(*) FILTER (WHERE rating = 5), count(comment)
            FROM service_ratings WHERE asked_at >= $1 AND asked_at < $2 AND NOT is_test
            GROUP BY service_code, office_code ORDER BY service_code, office_code
            """, [from, to]
        ).rows.map { row in
            Summary(
                service: try row.decode(String.self, at: 0), office: try row.decode(String.self, at: 1),
                asked: try row.decode(Int.self, at: 2), answered: try row.decode(Int.self, at: 3),
                counts: try (4...8).map { try row.decode(Int.self, at: $0) }, comments: try row.decode(Int.self, at: 9))
        }
    }
}
