import Foundation
import Postgres
import ServiceRuntime
import TestSupport

/// The most any design could deliver per second on this cluster: the SQL a WhatsApp delivery cannot do without,
/// run through pgbench on the same cluster in the same run, so our figure can be read as a share of it whatever the
/// machine's fsync and CPU.
///
/// Per message: the accept (the message and its job, one transaction, one per API call as ours), then in batches of
/// `batch` messages: the claim of their jobs, the send mark (provider id recorded, jobs done), and two status merges
/// (sent, delivered), each one transaction, as the webhooks bring them. No idempotency table, no history, no log, no
/// dashboard: a floor under what a gateway must write, not a design.
struct WhatsAppCeiling {
    let url: String
    let pgbench: String
    let seconds: Int
    /// Clients, as the benchmark's API client threads.
    var clients = 8
    var batch = 8
    /// Only the accept (the ceiling of the outcome API's accepts): messages accepted per second.
    var acceptsOnly = false

    static let schema = """
        DROP TABLE IF EXISTS ceiling_messages, ceiling_queue;
        CREATE TABLE ceiling_messages (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, idempotency_key text NOT NULL UNIQUE,
            citizen text NOT NULL, state text NOT NULL, provider_id text, sent_at timestamptz, delivered_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now());
        CREATE INDEX ceiling_messages_provider ON ceiling_messages (provider_id);
        -- What stands for the webhooks' choice of messages: without it, picking the next messages sent or sending
        -- walked the primary key past every message already delivered (9.5 ms a merge after 40,000 messages), so the
        -- ceiling fell as the run went on.
        CREATE INDEX ceiling_messages_in_flight ON ceiling_messages (id) WHERE state IN ('sending', 'sent');
        CREATE TABLE ceiling_queue (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, message_id bigint NOT NULL,
            state text NOT NULL DEFAULT 'available', worker text);
        CREATE INDEX ceiling_queue_available ON ceiling_queue (id) WHERE state = 'available';
        """

    /// Messages delivered per second by the minimal SQL, with `batch` messages per batched statement.
    func run() throws -> Double {
        let connection = try Connection(url: url)
        try connection.execute(script: Self.schema)
        let directory = FileManager.default.temporaryDirectory
        let accept = """
            WITH m AS (INSERT INTO ceiling_messages (idempotency_key, citizen, state) VALUES (gen_random_uuid()::text, 'c' || :client_id, 'queued') RETURNING id) INSERT INTO ceiling_queue (message_id) SELECT id FROM m;

            """
        let send = """
            WITH c AS (UPDATE ceiling_queue SET state = 'running', worker = 'w' || :client_id WHERE id = ANY (ARRAY(SELECT id FROM ceiling_queue WHERE state = 'available' ORDER BY id LIMIT \(batch) FOR UPDATE SKIP LOCKED)) RETURNING id) SELECT coalesce(array_agg(id), '{}') AS jobs FROM c
            \\gset
            WITH done AS (DELETE FROM ceiling_queue WHERE id = ANY (:jobs::bigint[]) RETURNING message_id) UPDATE ceiling_messages m SET state = 'sending', provider_id = 'wamid.' || m.id FROM done WHERE m.id = done.message_id;

            """
        let sent = """
            UPDATE ceiling_messages SET state = 'sent', sent_at = now() WHERE provider_id = ANY (ARRAY(SELECT provider_id FROM ceiling_messages WHERE state = 'sending' ORDER BY id LIMIT \(batch) FOR UPDATE SKIP LOCKED));

            """
        let delivered = """
            UPDATE ceiling_messages SET state = 'delivered', delivered_at = now() WHERE provider_id = ANY (ARRAY(SELECT provider_id FROM ceiling_messages WHERE state = 'sent' ORDER BY id LIMIT \(batch) FOR UPDATE SKIP LOCKED));

            """
        var files: [String] = []
        for (name, text) in [("accept", accept), ("send", send), ("sent", sent), ("delivered", delivered)] {
            let path = directory.appendingPathComponent("dakiya-ceiling-\(name).sql").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        let row = try connection.query(
            "SELECT current_setting('unix_socket_directories'), current_setting('port'), current_database()"
        ).first!
        let host = try row.decode(String.self, at: 0).split(separator: ",").first.map(String.init) ?? "/tmp"
        let elapsed = try runPgbench(
            pgbench,
            [
                "-n", "-M", "prepared", "-h", host, "-p", try row.decode(String.self, at: 1), "-U", "postgres",
            ]
                + (acceptsOnly
                    ? ["-f", files[0]]
                    : [
                        "-f", "\(files[0])@\(batch)", "-f", "\(files[1])@1", "-f", "\(files[2])@1", "-f",
                        "\(files[3])@1",
                    ])
                + [
                    "-c", String(clients), "-j", "2", "-T", String(seconds), try row.decode(String.self, at: 2),
                ])
        let count = try connection.query(
            "SELECT count(*) FROM ceiling_messages WHERE state = $1", [acceptsOnly ? "queued" : "delivered"]
        ).first!
        .decode(Int.self, at: 0)
        try connection.execute(script: "DROP TABLE ceiling_messages, ceiling_queue")
        return Double(count) / elapsed
    }
}
