import Delivery
import Foundation
import JobContracts
import JobQueue
import Postgres
import ServiceRuntime
import Synchronization

/// What a broadcast says in one language: the email's subject and the text, with `{field}` placeholders.
package struct BroadcastText: Codable, Sendable, Equatable {
    package var subject: String?
    package var body: String

    /// A text with an optional subject.
    package init(subject: String?, body: String) {
        self.subject = subject
        self.body = body
    }

    /// `body` (or `subject`) with each `{field}` replaced by its value.
    package static func fill(_ template: String, fields: [String], values: [String]) -> String {
        var text = template
        for (name, value) in zip(fields, values) { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }
}

/// A broadcast as the department asked for it, its audience checked.
package struct BroadcastDraft: Sendable {
    package var id: UUID
    package var department: String
    package var apiKeyID: Int64
    package var isTest: Bool
    package var name: String
    /// `emergency`, `normal` or `bulk` (`BroadcastLane`).
    package var lane: String
    /// `whatsapp` and/or `email`.
    package var channels: [String]
    /// The approved WhatsApp template, its category (`utility` or `marketing`); nil without WhatsApp.
    package var whatsappTemplate: String?
    package var templateCategory: String?
    /// The personalisation fields, in the order the WhatsApp template's body takes them.
    package var fields: [String]
    /// By language code.
    package var texts: [String: BroadcastText]
    package var scheduledFor: Date?
    package var expiresAt: Date?
    /// Distinct recipients, in audience order.
    package var recipients: [AudienceRow]
    /// Rows that repeated an earlier recipient (kept once).
    package var repeatedRows: Int
    /// An audience file still to read: its rows go to the database as they are checked (`accept`), instead of
    /// `recipients`; the caller looks at its `failure` afterwards and rolls back when the file was not clean.
    package var stream: AudienceCSV.Reader?

    /// A broadcast with everything it records.
    package init(
        id: UUID, department: String, apiKeyID: Int64, isTest: Bool, name: String, lane: String, channels: [String],
        whatsappTemplate: String?, templateCategory: String?, fields: [String], texts: [String: BroadcastText],
        scheduledFor: Date?, expiresAt: Date?, recipients: [AudienceRow], repeatedRows: Int
    ) {
        self.id = id
        self.department = department
        self.apiKeyID = apiKeyID
        self.isTest = isTest
        self.name = name
        self.lane = lane
        self.channels = channels
        self.whatsappTemplate = whatsappTemplate
        self.templateCategory = templateCategory
        self.fields = fields
        self.texts = texts
        self.scheduledFor = scheduledFor
        self.expiresAt = expiresAt
        self.recipients = recipients
        self.repeatedRows = repeatedRows
    }
}

/// A broadcast as an adapter needs it to send.
package struct BroadcastHeader: Sendable, Equatable {
    package var id: UUID
    package var name: String
    package var department: String
    package var isTest: Bool
    package var whatsappTemplate: String?
    package var fields: [String]
    package var texts: [String: BroadcastText]
}

/// One message an adapter took to send.
package struct BroadcastMessage: Sendable, Equatable {
    package var seq: Int
    package var address: String
    package var language: String
    /// The personalisation values, in the order of the broadcast's fields.
    package var values: [String]
}

/// What an adapter did with the messages it took.
package struct BroadcastSendResults: Sendable {
    /// Handed over (`sent`): the provider's id (WhatsApp's wamid, an email's Message-ID).
    package var handedOver: [(seq: Int, providerID: String)] = []
    /// Refused for good, with the provider's code.
    package var failed: [(seq: Int, code: String)] = []
    /// Not sent and certainly not handed over (a limit, a refused connection): pending again, for the job's next run.
    package var putBack: [Int] = []
    /// Skipped without sending (no test endpoint for a test key), with the reason.
    package var skipped: [(seq: Int, reason: String)] = []

    /// Nothing yet.
    package init() {}
}

/// Progress of a broadcast: messages by channel and state (and office, where the recipient's office is known).
package struct BroadcastProgress: Sendable, Equatable {
    /// Messages of one channel in one state (and office).
    package struct Count: Sendable, Equatable {
        package var channel: String
        package var state: String
        package var office: String?
        package var messages: Int
    }
    package var id: UUID
    package var name: String
    package var lane: String
    package var state: String
    package var channels: [String]
    package var recipients: Int
    package var repeatedRows: Int
    /// Recipients not yet turned into messages (a scheduled broadcast before its time, or one still fanning out).
    package var notFannedOut: Int
    package var counts: [Count]
    /// When `counts` were counted (a large broadcast's may be a few seconds old: `BroadcastCountCache`).
    package var countedAt: Date
    package var createdAt: Date
    package var scheduledFor: Date?
    package var expiresAt: Date?
    package var cancelledAt: Date?
    package var finishedAt: Date?
}

/// Recent counts of large broadcasts' messages, so that a portal polling a broadcast's progress does not have a
/// million rows counted each time: a count is reused for `recipients × secondsPerRecipient` seconds, at most
/// `maximumAge` (by default a 100,000-recipient broadcast's for 5 s, a 1,000,000-recipient one's for 10 s; a small
/// one's is always counted afresh). The answer says when it was counted.
package final class BroadcastCountCache: Sendable {
    private let entries = Mutex<[UUID: (countedAt: Date, counts: [BroadcastProgress.Count])]>([:])
    let secondsPerRecipient: Double
    let maximumAge: Double

    /// A cache whose counts live `secondsPerRecipient` per recipient, at most `maximumAge` seconds.
    package init(secondsPerRecipient: Double = 1.0 / 20_000, maximumAge: Double = 10) {
        self.secondsPerRecipient = secondsPerRecipient
        self.maximumAge = maximumAge
    }

    /// How long a count of a broadcast to `recipients` is reused.
    package func freshness(recipients: Int) -> Double { min(maximumAge, Double(recipients) * secondsPerRecipient) }

    func counts(for id: UUID, recipients: Int, now: Date) -> (countedAt: Date, counts: [BroadcastProgress.Count])? {
        entries.withLock { entries in
            guard let entry = entries[id], now.timeIntervalSince(entry.countedAt) < freshness(recipients: recipients)
            else { return nil }
            return entry
        }
    }

    /// How many broadcasts' counts are held.
    var size: Int { entries.withLock { $0.count } }

    func keep(_ counts: [BroadcastProgress.Count], for id: UUID, countedAt: Date) {
        entries.withLock { entries in
            // Forgotten once stale: the cache holds only the broadcasts polled in the last `maximumAge` seconds.
            if entries.count > 1_000 {
                entries = entries.filter { countedAt.timeIntervalSince($0.value.countedAt) < maximumAge }
            }
            entries[id] = (countedAt, counts)
        }
    }
}

/// Broadcasts in the database: the accept, the fan-out, the adapters' take and record, statuses, progress, cancel.
package enum Broadcasts {
    /// Recipients per fan-out job.
    package static let fanOutChunk = 5_000
    /// Recipients per send job (one channel's messages for them).
    package static let sendChunk = 100
    /// A message handed to the provider with no answer kept (the adapter died, or the answer was lost) is sent again
    /// only after this long without a status for it: WhatsApp's status webhooks carry our reference, so a message
    /// that did go out is found by its status first and never sent twice.
    package static let unansweredResend: Double = 30

    // MARK: Accept

    /// Records the broadcast, its recipients (COPY, from `recipients` or read from `stream` as they are checked) and
    /// its fan-out jobs (at their fair tags, in its lane), inside the caller's transaction. A broadcast with no
    /// recipient (an alert whose area holds no citizen) is finished. Returns the recipients and repeated rows; with
    /// a stream, the caller must check its `failure` and roll back (throw) when the file was not clean.
    /// - Throws: `PostgresError` from the database; `EncodingError` for a job that cannot be encoded.
    @discardableResult
    package static func accept(_ draft: BroadcastDraft, queue: JobQueue, on tx: Connection) throws -> (
        recipients: Int, repeatedRows: Int
    ) {
        let texts = try String(decoding: JSONEncoder.sorted.encode(draft.texts), as: UTF8.self)
        // fair_start (migration 0039): the head of the lane on the broadcast's channels (or its scheduled time), but
        // after the same department's broadcasts still in that lane.
        let fairStart = try tx.query(
            """
            INSERT INTO broadcasts (id, department, api_key_id, is_test, name, priority, channels, whatsapp_template,
                                    template_category, fields, texts, scheduled_for, expires_at, recipients, repeated_rows,
                                    idempotency_key, state, finished_at, fair_start)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $15, '',
                    CASE WHEN $14 = 0 AND NOT $17 THEN 'finished' ELSE 'accepted' END,
                    CASE WHEN $14 = 0 AND NOT $17 THEN now() END,
                    greatest(
                        CASE WHEN $12::timestamptz > now() THEN $12::timestamptz
                             ELSE coalesce((SELECT min(j.run_at) FROM jobs j
                                            WHERE j.state = 'available' AND j.priority = $16
                                              AND j.queue = ANY (SELECT 'broadcast_' || c FROM unnest($7::text[]) c)), now()) END,
                        (SELECT max(b.fair_start + \(fairTagMicroseconds) * (b.recipients / \(sendChunk) + 1) * interval '1 microsecond')
                         FROM broadcasts b
                         WHERE b.department = $2 AND b.priority = $6 AND b.state IN ('accepted', 'sending')
                           AND b.fair_start IS NOT NULL)))
            RETURNING fair_start
            """,
            [
                draft.id, draft.department, draft.apiKeyID, draft.isTest, draft.name, draft.lane, draft.channels,
                draft.whatsappTemplate, draft.templateCategory, draft.fields, texts, draft.scheduledFor,
                draft.expiresAt, draft.recipients.count, draft.repeatedRows, BroadcastLane.priority(draft.lane),
                draft.stream != nil,
            ]
        ).first?.decode(Date.self, at: 0)
        let id = draft.id.uuidString.lowercased()
        func copyRow(_ seq: Int, _ row: AudienceRow) -> [String?] {
            [
                id, String(seq), String(row.line), row.citizen, row.mobile, row.email, row.language,
                arrayLiteral(
                    row.fieldNames == draft.fields ? row.fieldValues : draft.fields.map { row.field($0) ?? "" }),
            ]
        }
        let copySQL =
            "COPY broadcast_recipients (broadcast_id, seq, line, citizen, mobile, email, language, fields) FROM STDIN"
        var recipients = draft.recipients.count
        var repeatedRows = draft.repeatedRows
        if let stream = draft.stream {
            recipients = try tx.copy(copySQL, rows: stream.enumerated().lazy.map(copyRow))
            repeatedRows = stream.repeatedRecipients
            guard stream.failure == nil else { return (recipients, repeatedRows) }
            try tx.query(
                """
                UPDATE broadcasts SET recipients = $2, repeated_rows = $3,
                    state = CASE WHEN $2 = 0 THEN 'finished' ELSE state END, finished_at = CASE WHEN $2 = 0 THEN now() END
                WHERE id = $1
                """, [draft.id, recipients, repeatedRows])
        } else {
            _ = try tx.copy(copySQL, rows: draft.recipients.enumerated().lazy.map(copyRow))
        }
        let chunks = stride(from: 0, to: recipients, by: fanOutChunk).map { start in
            BroadcastRange(broadcastID: draft.id, fromSeq: start, toSeq: min(start + fanOutChunk, recipients))
        }
        _ = try queue.enqueue(
            try chunks.map { range in
                var job = try Jobs.broadcastFanOut.job(
                    range, priority: BroadcastLane.priority(draft.lane),
                    uniqueKey: "fanout:\(id):\(range.fromSeq)")
                job.runAt = fairStart.map { Self.fairTag($0, seq: range.fromSeq) } ?? draft.scheduledFor
                return job
            }, on: tx)
        return (recipients, repeatedRows)
    }

    /// The run_at step between two send jobs of a broadcast (one per `sendChunk` recipients), in microseconds: the
    /// unit of fairness between broadcasts in a lane (see migration 0039).
    package static let fairTagMicroseconds = 1_000

    /// The run_at of the job that starts at recipient `seq` of a broadcast whose fair start is `start`.
    package static func fairTag(_ start: Date, seq: Int) -> Date {
        start.addingTimeInterval(Double(seq / sendChunk * fairTagMicroseconds) / 1e6)
    }

    /// A PostgreSQL array literal of texts, as a parameter binds it.
    static func arrayLiteral(_ values: [String]) -> String {
        guard case .text(let literal) = values.postgresBind else { return "{}" }
        return literal
    }

    // MARK: Fan-out

    /// The fan-out of recipients `$2 ..< $3` of broadcast `$1` in one statement: each recipient's citizen (by the
    /// portal's id, else by mobile, else by email), their latest consents, contact details and language; one message
    /// per channel of the broadcast, pending or skipped with the reason; one send job per channel and `sendChunk`
    /// recipients with pending messages, in the broadcast's lane. A broadcast cancelled meanwhile gets nothing; a
    /// range already fanned out (a job run again) adds nothing.
    static let fanOutStatement = """
        WITH b AS (
            SELECT id, channels, priority, texts, expires_at, coalesce(fair_start, created_at) AS fair_start
            FROM broadcasts WHERE id = $1 AND state IN ('accepted', 'sending')),
        r AS (
            SELECT r.seq, r.citizen, r.mobile, r.email, r.language AS row_language,
                   c.id AS citizen_id, c.mobile AS citizen_mobile, c.email AS citizen_email, c.language AS citizen_language
            FROM b JOIN broadcast_recipients r ON r.broadcast_id = b.id
            LEFT JOIN LATERAL (
                SELECT id, mobile, email, language FROM citizens
                WHERE r.citizen IS NOT NULL AND portal_user_id = r.citizen
                UNION ALL
                (SELECT id, mobile, email, language FROM citizens
                 WHERE r.citizen IS NULL AND r.mobile IS NOT NULL AND mobile = r.mobile ORDER BY id LIMIT 1)
                UNION ALL
                (SELECT id, mobile, email, language FROM citizens
                 WHERE r.citizen IS NULL AND r.mobile IS NULL AND email = r.email ORDER BY id LIMIT 1)
                LIMIT 1) c ON true
            WHERE r.seq >= $2 AND r.seq < $3),
        m AS (
            SELECT ch.channel, r.seq, r.citizen, r.citizen_id,
                   CASE ch.channel WHEN 'whatsapp' THEN coalesce(r.mobile, r.citizen_mobile) ELSE coalesce(r.email, r.citizen_email) END AS address,
                   CASE WHEN b.texts ? coalesce(r.row_language, r.citizen_language, '') THEN coalesce(r.row_language, r.citizen_language)
                        WHEN b.texts ? 'en' THEN 'en'
                        ELSE (SELECT min(k) FROM jsonb_object_keys(b.texts) k) END AS language,
                   k.granted AS consent,
                   (SELECT a.office_code FROM applications a WHERE a.citizen_id = r.citizen_id ORDER BY a.updated_at DESC LIMIT 1) AS office_code,
                   b.expires_at
            FROM r CROSS JOIN b CROSS JOIN LATERAL unnest(b.channels) AS ch(channel)
            -- joined, not a scalar subquery: the decision reads the consent twice, and would look it up twice
            LEFT JOIN LATERAL (
                SELECT k.granted FROM citizen_consents k WHERE k.citizen_id = r.citizen_id AND k.channel = ch.channel
                ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1) k ON true),
        decided AS (
            SELECT channel, seq, address, language, office_code,
                   CASE WHEN citizen IS NOT NULL AND citizen_id IS NULL THEN 'unknown_citizen'
                        WHEN address IS NULL THEN CASE channel WHEN 'whatsapp' THEN 'no_mobile' ELSE 'no_email' END
                        WHEN consent IS false THEN 'opted_out'
                        WHEN channel = 'whatsapp' AND consent IS NULL THEN 'no_whatsapp_opt_in'
                        WHEN expires_at <= now() THEN 'expired'
                   END AS reason
            FROM m),
        ins AS (
            INSERT INTO broadcast_messages (broadcast_id, channel, seq, address, language, office_code, state, reason)
            SELECT $1, channel, seq, address, language, office_code, CASE WHEN reason IS NULL THEN 'pending' ELSE 'skipped' END, reason
            FROM decided
            ON CONFLICT DO NOTHING
            RETURNING channel, seq, state),
        started AS (
            UPDATE broadcasts SET state = 'sending' WHERE id = $1 AND state = 'accepted' AND EXISTS (SELECT 1 FROM ins)
            RETURNING 1),
        sends AS (
            SELECT 'broadcast_' || ins.channel AS queue, min(b.priority) AS priority,
                   'bsend:' || $1::text || ':' || ins.channel || ':' || (ins.seq / \(sendChunk)) AS unique_key,
                   jsonb_build_object('broadcast_id', $1::text, 'from_seq', (ins.seq / \(sendChunk)) * \(sendChunk),
                                      'to_seq', (ins.seq / \(sendChunk) + 1) * \(sendChunk)) AS payload,
                   min(b.fair_start) + (ins.seq / \(sendChunk)) * \(fairTagMicroseconds) * interval '1 microsecond' AS run_at
            FROM ins CROSS JOIN (SELECT CASE priority WHEN 'emergency' THEN 1 WHEN 'normal' THEN 3 ELSE 4 END::smallint AS priority,
                                        fair_start FROM b) b
            WHERE ins.state = 'pending'
            GROUP BY ins.channel, ins.seq / \(sendChunk)),
        counted AS (
            INSERT INTO broadcast_fanouts (broadcast_id, from_seq, recipients, ranges)
            SELECT $1, $2, (SELECT count(DISTINCT seq) FROM ins), (SELECT count(*) FROM sends) WHERE EXISTS (SELECT 1 FROM ins)
            ON CONFLICT DO NOTHING
            RETURNING 1),
        \(Jobs.broadcastSend.enqueueClauses("job", priority: nil, queueFromRows: true, runAtFromRows: true, from: "sends"))
        SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM ins WHERE state = 'pending'), (SELECT count(*) FROM job_notified),
               (SELECT count(*) FROM counted), (SELECT count(*) FROM started)
        """

    /// Fans out one range (see `fanOutStatement`); returns the messages written and how many of them are pending.
    /// A broadcast left with nothing to send finishes here.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package static func fanOut(_ range: BroadcastRange, on connection: Connection) throws -> (
        written: Int, pending: Int
    ) {
        let row = try connection.withCustomPlans {
            try connection.query(fanOutStatement, [range.broadcastID, range.fromSeq, range.toSeq]).first
        }
        let written = try row?.decode(Int.self, at: 0) ?? 0
        let pending = try row?.decode(Int.self, at: 1) ?? 0
        try finishIfDone(range.broadcastID, on: connection)
        return (written, pending)
    }

    // MARK: Sending

    /// The broadcast an adapter sends for, or nil when it is gone.
    /// - Throws: `PostgresError` from the database; `DecodingError` for texts that do not decode.
    package static func header(_ id: UUID, on connection: Connection) throws -> BroadcastHeader? {
        guard
            let row = try connection.query(
                "SELECT department, is_test, whatsapp_template, fields, texts::text, name FROM broadcasts WHERE id = $1",
                [id]
            ).first
        else { return nil }
        return BroadcastHeader(
            id: id, name: try row.decode(String.self, at: 5), department: try row.decode(String.self, at: 0),
            isTest: try row.decode(Bool.self, at: 1),
            whatsappTemplate: try row.decode(String?.self, at: 2), fields: try row.decode([String].self, at: 3),
            texts: try JSONDecoder().decode(
                [String: BroadcastText].self, from: Data(try row.decode(String.self, at: 4).utf8)))
    }

    /// How long a message handed over without an answer kept waits before it is sent again: WhatsApp's, until its
    /// status could have come (`unansweredResend`); an email's, not at all (no status ever comes; sent again, it
    /// carries the same Message-ID).
    static func resendAfter(_ channel: String) -> Double { channel == "whatsapp" ? unansweredResend : 0 }

    /// The take of a range's messages on `channel`, in one statement: those of a broadcast cancelled meanwhile are
    /// cancelled, those past its expiry skipped (`expired`), those whose citizen has opted out of the channel since
    /// the fan-out skipped (`opted_out`: the fan-out saw every earlier consent, so only the withdrawals recorded
    /// since the broadcast was accepted, an hour's margin before it, are looked at, through their partial index,
    /// rather than each message's citizen); the rest are marked sending and returned with their values: pending ones,
    /// and ones handed over without an answer kept, once `resendAfter(channel)` has passed with no status for them.
    /// Every read of the broadcast's messages and recipients is bounded by the range, not only joined to it: while a
    /// large broadcast fans out, the statistics still say it has no rows, and a plan that scanned all its messages
    /// for each of a range's (seen: 10 s a take, no range settled for the fan-out's minute) must not be possible.
    static func takeStatement(channel: String) -> String {
        let contact = channel == "whatsapp" ? "mobile" : "email"
        return """
            WITH b AS (SELECT state, expires_at, created_at FROM broadcasts WHERE id = $1),
            withdrawn AS (
                SELECT c.\(contact) AS address
                FROM citizen_consents w JOIN citizens c ON c.id = w.citizen_id
                WHERE NOT w.granted AND w.channel = '\(channel)'
                  AND w.created_at >= (SELECT created_at FROM b) - interval '1 hour'
                  AND c.\(contact) IS NOT NULL
                  AND (SELECT k.granted FROM citizen_consents k WHERE k.citizen_id = c.id AND k.channel = '\(channel)'
                       ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1) IS false),
            open AS (
                SELECT m.seq, m.state,
                       CASE WHEN (SELECT state FROM b) = 'cancelled' THEN 'cancelled'
                            WHEN (SELECT expires_at FROM b) <= now() THEN 'expired'
                            WHEN m.address IN (SELECT address FROM withdrawn) THEN 'opted_out'
                       END AS stop
                FROM broadcast_messages m
                WHERE m.broadcast_id = $1 AND m.channel = '\(channel)' AND m.seq >= $2 AND m.seq < $3
                  AND (m.state = 'pending'
                       OR (m.state = 'sending' AND m.provider_id IS NULL
                           AND m.sending_at <= now() - make_interval(secs => \(resendAfter(channel)))))
                FOR UPDATE OF m SKIP LOCKED),
            stopped AS (
                UPDATE broadcast_messages m
                SET state = CASE WHEN o.stop = 'cancelled' THEN 'cancelled' ELSE 'skipped' END,
                    reason = CASE WHEN o.stop = 'cancelled' THEN NULL ELSE o.stop END, updated_at = now()
                FROM open o
                WHERE m.broadcast_id = $1 AND m.channel = '\(channel)' AND m.seq >= $2 AND m.seq < $3 AND m.seq = o.seq
                  AND o.stop IS NOT NULL
                  AND (o.state = 'pending' OR o.stop <> 'cancelled')
                RETURNING m.seq),
            taken AS (
                UPDATE broadcast_messages m SET state = 'sending', sending_at = now(), updated_at = now()
                FROM open o
                WHERE m.broadcast_id = $1 AND m.channel = '\(channel)' AND m.seq >= $2 AND m.seq < $3 AND m.seq = o.seq
                  AND o.stop IS NULL
                RETURNING m.seq, m.address, m.language)
            SELECT t.seq, t.address, t.language, r.fields
            FROM taken t JOIN broadcast_recipients r ON r.broadcast_id = $1 AND r.seq >= $2 AND r.seq < $3 AND r.seq = t.seq
            ORDER BY t.seq
            """
    }

    /// What a send job starts with: its broadcast and the messages of its range it took on `channel`; nil when
    /// there were none (the range is settled, or runs again later: `settle`).
    /// - Throws: `JobError.permanent` for a broadcast that is gone; `JobError.snooze` from `settle`; `PostgresError`.
    package static func start(_ range: BroadcastRange, channel: String, on connection: Connection) throws -> (
        broadcast: BroadcastHeader, messages: [BroadcastMessage]
    )? {
        guard let broadcast = try header(range.broadcastID, on: connection) else {
            throw JobError.permanent("broadcast \(range.broadcastID) not found")
        }
        let messages = try take(range, channel: channel, on: connection)
        guard !messages.isEmpty else {
            try settle(range, channel: channel, retryAfter: nil, on: connection)
            return nil
        }
        return (broadcast, messages)
    }

    /// Takes a range's messages to send on `channel` (see `takeStatement`).
    /// - Throws: `PostgresError` from the database.
    package static func take(_ range: BroadcastRange, channel: String, on connection: Connection) throws
        -> [BroadcastMessage]
    {
        try connection.withCustomPlans {
            try connection.query(takeStatement(channel: channel), [range.broadcastID, range.fromSeq, range.toSeq])
                .rows
        }.map { row in
            BroadcastMessage(
                seq: try row.decode(Int.self, at: 0), address: try row.decode(String.self, at: 1),
                language: try row.decode(String.self, at: 2), values: try row.decode([String].self, at: 3))
        }
    }

    /// Keeps what an adapter did with the messages it took, in one statement (the caller then `settle`s its range).
    /// A message handed over is `sent` (the provider accepted it: WhatsApp's wamid, the SMTP
    /// server's 250); WhatsApp's statuses move it on to delivered and read (its own `sent` status changes nothing).
    /// - Throws: `PostgresError` from the database.
    package static func record(
        _ results: BroadcastSendResults, broadcastID: UUID, channel: String, on connection: Connection
    ) throws {
        var seqs: [Int] = [], states: [String?] = [], providerIDs: [String?] = [], reasons: [String?] = []
        for item in results.handedOver {
            seqs.append(item.seq)
            states.append("sent")
            providerIDs.append(item.providerID)
            reasons.append(nil)
        }
        for item in results.failed {
            seqs.append(item.seq)
            states.append("failed")
            providerIDs.append(nil)
            reasons.append(item.code)
        }
        for item in results.skipped {
            seqs.append(item.seq)
            states.append("skipped")
            providerIDs.append(nil)
            reasons.append(item.reason)
        }
        for seq in results.putBack {
            seqs.append(seq)
            states.append("pending")
            providerIDs.append(nil)
            reasons.append(nil)
        }
        guard !seqs.isEmpty else { return }
        // Only a message still sending moves here: a status that came first (sent, delivered) is kept.
        try connection.withCustomPlans {
            _ = try connection.query(
                """
                UPDATE broadcast_messages m
                SET state = coalesce(t.state, m.state), provider_id = coalesce(t.provider_id, m.provider_id),
                    reason = coalesce(t.reason, m.reason), sent_at = CASE WHEN t.state = 'sent' THEN now() ELSE m.sent_at END,
                    sending_at = CASE WHEN t.state = 'pending' THEN NULL ELSE m.sending_at END, updated_at = now()
                FROM unnest($3::int[], $4::text[], $5::text[], $6::text[]) AS t(seq, state, provider_id, reason)
                WHERE m.broadcast_id = $1 AND m.channel = $2 AND m.seq >= $7 AND m.seq <= $8 AND m.seq = t.seq
                  AND m.state = 'sending'
                """, [broadcastID, channel, seqs, states, providerIDs, reasons, seqs.min()!, seqs.max()!])
        }
    }

    /// The messages of a range on `channel` still to settle: pending, or handed over with no answer kept. A send job
    /// ends only when there are none: until then it runs again (after `resendAfter`), so a message a dead run left
    /// behind is never stranded.
    /// - Throws: `PostgresError` from the database.
    package static func unsettled(_ range: BroadcastRange, channel: String, on connection: Connection) throws -> Int {
        try connection.withCustomPlans {
            try connection.query(
                """
                SELECT count(*) FROM broadcast_messages
                WHERE broadcast_id = $1 AND channel = $2 AND seq >= $3 AND seq < $4
                  AND (state = 'pending' OR (state = 'sending' AND provider_id IS NULL))
                """, [range.broadcastID, channel, range.fromSeq, range.toSeq]
            ).first?.decode(Int.self, at: 0) ?? 0
        }
    }

    /// What a send job does once it has recorded its results: ends when nothing in its range is left to settle
    /// (finishing the broadcast if that was the last), else runs again after `retryAfter` (a limit's wait) or the
    /// channel's resend interval.
    /// - Throws: `JobError.snooze` to run again; `PostgresError` from the database.
    package static func settle(
        _ range: BroadcastRange, channel: String, retryAfter: Duration?, on connection: Connection
    ) throws {
        let left = try unsettled(range, channel: channel, on: connection)
        guard left > 0 else {
            try connection.query(
                """
                INSERT INTO broadcast_settled_ranges (broadcast_id, channel, from_seq) VALUES ($1, $2, $3)
                ON CONFLICT DO NOTHING
                """, [range.broadcastID, channel, range.fromSeq])
            try finishIfDone(range.broadcastID, on: connection)
            return
        }
        let resend = Duration.milliseconds(Int64(resendAfter(channel) * 1000) + 500)
        throw JobError.snooze(
            retryAfter.map { min($0, resend) } ?? resend, "\(left) broadcast messages of this range still to settle")
    }

    /// Finishes the broadcast when every recipient was fanned out and no message is left to send (pending, or
    /// sending without the provider's answer). True when it finished now.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package static func finishIfDone(_ id: UUID, on connection: Connection) throws -> Bool {
        // Every recipient fanned out, and every range the fan-outs made settled: small tables (a few thousand rows
        // for a million recipients), never the messages themselves.
        try connection.transaction { tx in
            guard
                let department = try tx.withCustomPlans({
                    try tx.query(
                        """
                        UPDATE broadcasts b SET state = 'finished', finished_at = now()
                        FROM (SELECT coalesce(sum(recipients), 0) AS recipients, coalesce(sum(ranges), 0) AS ranges
                              FROM broadcast_fanouts WHERE broadcast_id = $1) f
                        WHERE b.id = $1 AND b.state = 'sending' AND f.recipients >= b.recipients
                          AND (SELECT count(*) FROM broadcast_settled_ranges s WHERE s.broadcast_id = $1) >= f.ranges
                        RETURNING (SELECT code FROM departments WHERE code = b.department AND callback_url IS NOT NULL)
                        """, [id]
                    ).first
                })
            else { return false }
            if let department = try department.decode(String?.self, at: 0) {
                try announceFinished(id, department: department, on: tx)
            }
            return true
        }
    }

    /// The `broadcast.finished` event for the department's callback (its totals by channel and status), with the job
    /// that posts it, in the transaction that finished the broadcast.
    static func announceFinished(_ id: UUID, department: String, on tx: Connection) throws {
        guard let progress = try progress(id, department: department, on: tx) else { return }
        var totals: [String: [String: Int]] = [:]
        for count in progress.counts { totals[count.channel, default: [:]][count.state, default: 0] += count.messages }
        struct Finished: Encodable {
            var broadcastID: String
            var name: String
            var status: String
            var recipients: Int
            var totals: [String: [String: Int]]
            var finishedAt: String
            enum CodingKeys: String, CodingKey {
                case broadcastID = "broadcast_id", name, status, recipients, totals, finishedAt = "finished_at"
            }
        }
        let eventID = UUID.timeOrdered()
        let body = try PortalEvents.envelope(
            id: eventID, type: "broadcast.finished",
            data: Finished(
                broadcastID: id.uuidString.lowercased(), name: progress.name, status: "finished",
                recipients: progress.recipients, totals: totals,
                finishedAt: Timestamp.rfc3339(Timestamp.nowMicroseconds())))
        try PortalEvents.insert(
            id: eventID, type: "broadcast.finished", body: body, department: department, subject: .broadcast(id),
            queue: JobQueue(), on: tx)
    }

    // MARK: Statuses

    /// A WhatsApp status for a broadcast message (its callback data `b:<broadcast>:<seq>`).
    package struct Status: Sendable, Equatable {
        package var broadcastID: UUID
        package var seq: Int
        package var wamid: String
        /// sent, delivered, read or failed.
        package var status: String
        package var errorCode: String?

        /// The status named by `callbackData`, or nil when it is not a broadcast's.
        package init?(callbackData: String?, wamid: String, status: String, errorCode: String?) {
            guard let data = callbackData, data.hasPrefix("b:") else { return nil }
            let parts = data.split(separator: ":")
            guard parts.count == 3, let id = UUID(uuidString: String(parts[1])), let seq = Int(parts[2]) else {
                return nil
            }
            broadcastID = id
            self.seq = seq
            self.wamid = wamid
            self.status = status
            self.errorCode = errorCode
        }
    }

    /// The callback data a broadcast's WhatsApp message carries, so that its statuses find it.
    package static func callbackData(broadcastID: UUID, seq: Int) -> String {
        "b:\(broadcastID.uuidString.lowercased()):\(seq)"
    }

    /// Applies a batch of statuses in one statement, forward only (sent, delivered, read; failed from sending or
    /// sent), the highest of the batch for each message; a message whose answer was lost gets its wamid here.
    /// Repeated statuses change nothing. Returns how many messages moved.
    /// - Throws: `PostgresError` from the database.
    @discardableResult
    package static func apply(_ statuses: [Status], on connection: Connection) throws -> Int {
        guard !statuses.isEmpty else { return 0 }
        return try connection.withCustomPlans {
            try connection.query(
                """
                WITH t AS (
                    SELECT DISTINCT ON (broadcast_id, seq) broadcast_id, seq, wamid, status, error_code
                    FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[]) AS t(broadcast_id, seq, wamid, status, error_code)
                    ORDER BY broadcast_id, seq, array_position(ARRAY['sent', 'delivered', 'read', 'failed'], status) DESC)
                UPDATE broadcast_messages m
                SET state = t.status, provider_id = coalesce(m.provider_id, t.wamid),
                    reason = CASE WHEN t.status = 'failed' THEN t.error_code ELSE m.reason END,
                    sent_at = coalesce(m.sent_at, now()), updated_at = now()
                FROM t
                WHERE m.broadcast_id = t.broadcast_id AND m.channel = 'whatsapp' AND m.seq = t.seq
                  AND CASE WHEN t.status = 'failed' THEN m.state IN ('sending', 'sent')
                           ELSE m.state IN ('pending', 'sending', 'sent', 'delivered')
                                AND array_position(ARRAY['pending', 'sending', 'sent', 'delivered', 'read'], t.status)
                                  > array_position(ARRAY['pending', 'sending', 'sent', 'delivered', 'read'], m.state) END
                RETURNING m.broadcast_id
                """,
                [
                    statuses.map(\.broadcastID), statuses.map(\.seq), statuses.map(\.wamid), statuses.map(\.status),
                    statuses.map(\.errorCode),
                ]
            ).count
        }
    }

    // MARK: Reading and cancelling

    /// The broadcast's progress, or nil when `department` has no broadcast `id`.
    /// - Throws: `PostgresError` from the database.
    package static func progress(
        _ id: UUID, department: String, cache: BroadcastCountCache? = nil, on connection: Connection
    ) throws -> BroadcastProgress? {
        guard
            let row = try connection.query(
                """
                SELECT name, priority, state, channels, recipients, repeated_rows,
                       recipients - (SELECT coalesce(sum(f.recipients), 0) FROM broadcast_fanouts f WHERE f.broadcast_id = b.id)::int,
                       created_at, scheduled_for, expires_at, cancelled_at, finished_at
                FROM broadcasts b WHERE id = $1 AND department = $2
                """, [id, department]
            ).first
        else { return nil }
        let recipients = try row.decode(Int.self, at: 4)
        let counted: (countedAt: Date, counts: [BroadcastProgress.Count])
        if let cached = cache?.counts(for: id, recipients: recipients, now: Date()) {
            counted = cached
        } else {
            let countedAt = Date()
            let counts = try connection.withCustomPlans {
                try connection.query(
                    """
                    SELECT channel, state, office_code, count(*) FROM broadcast_messages WHERE broadcast_id = $1
                    GROUP BY channel, state, office_code ORDER BY channel, state, office_code NULLS LAST
                    """, [id]
                ).rows
            }.map { count in
                BroadcastProgress.Count(
                    channel: try count.decode(String.self, at: 0), state: try count.decode(String.self, at: 1),
                    office: try count.decode(String?.self, at: 2), messages: try count.decode(Int.self, at: 3))
            }
            cache?.keep(counts, for: id, countedAt: countedAt)
            counted = (countedAt, counts)
        }
        return BroadcastProgress(
            id: id, name: try row.decode(String.self, at: 0), lane: try row.decode(String.self, at: 1),
            state: try row.decode(String.self, at: 2), channels: try row.decode([String].self, at: 3),
            recipients: recipients, repeatedRows: try row.decode(Int.self, at: 5),
            notFannedOut: try row.decode(Int.self, at: 6), counts: counted.counts, countedAt: counted.countedAt,
            createdAt: try row.decode(Date.self, at: 7),
            scheduledFor: try row.decode(Date?.self, at: 8), expiresAt: try row.decode(Date?.self, at: 9),
            cancelledAt: try row.decode(Date?.self, at: 10), finishedAt: try row.decode(Date?.self, at: 11))
    }

    /// What a cancel found.
    package enum CancelResult: Sendable, Equatable {
        /// Cancelled now; `messages` pending messages will not be sent.
        case cancelled(messages: Int)
        /// Already finished or cancelled: nothing changed.
        case alreadyEnded(state: String)
        case notFound
    }

    /// Cancels the broadcast: its pending messages are cancelled, and what was not fanned out never will be. A
    /// message already handed to a provider is not called back.
    /// - Throws: `PostgresError` from the database.
    package static func cancel(_ id: UUID, department: String, on connection: Connection) throws -> CancelResult {
        try connection.transaction { tx in
            guard
                let state = try tx.query(
                    "SELECT state FROM broadcasts WHERE id = $1 AND department = $2 FOR UPDATE", [id, department]
                ).first?.decode(String.self, at: 0)
            else { return .notFound }
            guard state == "accepted" || state == "sending" else { return .alreadyEnded(state: state) }
            try tx.query(
                "UPDATE broadcasts SET state = 'cancelled', cancelled_at = now() WHERE id = $1", [id])
            let messages = try tx.withCustomPlans {
                try tx.query(
                    """
                    UPDATE broadcast_messages SET state = 'cancelled', updated_at = now()
                    WHERE broadcast_id = $1 AND state = 'pending' RETURNING 1
                    """, [id]
                ).count
            }
            return .cancelled(messages: messages)
        }
    }
}

extension JSONEncoder {
    /// Sorted keys: the same texts give the same JSON.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
