import Cryptography
import HTTPServer
import Postgres

/// Safe retries for state-changing requests: the first request with an `Idempotency-Key` runs and its answer is
/// kept; a retry with the same key and the same request (method, path and body) gets that answer again, with
/// `Idempotent-Replayed: true`, and changes nothing; the same key with another request is 409. Refusals (4xx)
/// are not kept: the work rolls back with the key, so a corrected request can use it.
package enum IdempotentRequests {
    /// Whose keys these are: a department's API keys share one space, an officer key has its own.
    package enum Scope: Sendable {
        case department(String)
        case officerKey(Int64)

        var table: String { if case .department = self { "idempotency_keys" } else { "officer_request_keys" } }
        var column: String { if case .department = self { "department" } else { "officer_key_id" } }
        var value: any PostgresEncodable {
            switch self {
            case .department(let code): code
            case .officerKey(let id): id
            }
        }
    }

    /// The `Idempotency-Key` header: nil when absent (unless `required`), 400 when malformed.
    /// - Throws: `HTTPError` (400) for a missing required key or a malformed one.
    package static func key(_ request: Request, required: Bool) throws -> String? {
        guard let raw = request.header("idempotency-key") else {
            guard !required else {
                throw HTTPError(
                    status: 400,
                    detail:
                        "the Idempotency-Key header is required here (1 to 255 characters), so a retry cannot do this twice",
                    type: "urn:dakiya:problem:invalid-request",
                    errors: [FieldProblem(field: "Idempotency-Key", detail: "required header")])
            }
            return nil
        }
        let key = raw.trimmingCharacters(in: .whitespaces)
        guard (1...255).contains(key.unicodeScalars.count),
            key.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value <= 0x7E })
        else {
            throw HTTPError(
                status: 400, detail: "the Idempotency-Key header must be 1 to 255 printable ASCII characters",
                type: "urn:dakiya:problem:invalid-request",
                errors: [FieldProblem(field: "Idempotency-Key", detail: "1 to 255 printable ASCII characters")])
        }
        return key
    }

    /// The request's fingerprint: method, the path as routed (the decoded ids), and the body.
    package static func fingerprint(_ request: Request, path: String) -> [UInt8] {
        fingerprint(method: request.method, path: path, bodyHash: SHA256.hash(request.body))
    }

    /// The same, for a body whose identity is not its bytes (a multipart upload is the same request under a new boundary).
    package static func fingerprint(method: String, path: String, bodyHash: [UInt8]) -> [UInt8] {
        SHA256.hash(Array("\(method) \(path)\n".utf8) + bodyHash)
    }

    /// The whole of an idempotent endpoint: reads the `Idempotency-Key` header (`required` or not), then runs `work`
    /// on a pooled connection with the key claimed, or replays the kept answer for the same method, path and body.
    /// - Throws: `HTTPError` for a bad key or a reused one (409), whatever `work` throws, and `PostgresError` from the database.
    package static func respond(
        to request: Request, _ scope: Scope, path: String, required: Bool = false, pool: ConnectionPool,
        _ work: (Connection) throws -> Response
    ) throws -> Response {
        let idempotencyKey = try key(request, required: required)
        return try pool.withConnection { connection in
            try run(scope, key: idempotencyKey, fingerprint: fingerprint(request, path: path), on: connection, work)
        }
    }

    /// Runs `work` inside one transaction with the key claimed, or replays the kept answer. Without a key, runs `work`.
    /// - Throws: `HTTPError` (409) for a key reused for another request, whatever `work` throws, and `PostgresError` from the database.
    package static func run(
        _ scope: Scope, key: String?, fingerprint: [UInt8], on connection: Connection,
        _ work: (Connection) throws -> Response
    ) throws -> Response {
        guard let key else { return try work(connection) }
        return try connection.transaction { tx in
            let claimed =
                try tx.query(
                    """
                    INSERT INTO \(scope.table) (\(scope.column), key, request_hash, response_status, response_body) VALUES ($1, $2, $3, 0, '')
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, [scope.value, key, PostgresBytes(fingerprint)]
                ).count == 1
            if claimed {
                let response = try work(tx)
                try tx.query(
                    """
                    UPDATE \(scope.table) SET response_status = $3, response_body = $4, response_location = $5 WHERE \(scope.column) = $1 AND key = $2
                    """,
                    [
                        scope.value, key, response.status, String(decoding: response.body, as: UTF8.self),
                        response.headers.first { $0.0.lowercased() == "location" }?.1,
                    ])
                return response
            }
            // Used before (a concurrent first use was waited for by the insert): replay it, or refuse another request.
            return try replay(scope, key: key, fingerprint: fingerprint, on: tx)
        }
    }

    /// The kept answer for a key already used: the same response (with its Location and `Idempotent-Replayed: true`)
    /// when the request is the same, 409 when the key was used for another request.
    /// - Throws: `HTTPError` (409) when the key was used for another request; `PostgresError` from the database.
    package static func replay(_ scope: Scope, key: String, fingerprint: [UInt8], on connection: Connection) throws
        -> Response
    {
        guard
            let stored = try connection.query(
                """
                SELECT request_hash, response_status, response_body, response_location FROM \(scope.table) WHERE \(scope.column) = $1 AND key = $2
                """, [scope.value, key]
            ).first
        else {
            throw PostgresError(.protocolViolation, "the idempotency key vanished")
        }
        guard try stored.decode(PostgresBytes.self, at: 0).bytes == fingerprint else {
            throw HTTPError(
                status: 409,
                detail: "this Idempotency-Key was used with a different request (another path, or another body)",
                type: "urn:dakiya:problem:idempotency-conflict")
        }
        var headers = [("Idempotent-Replayed", "true")]
        if let location = try stored.decode(String?.self, at: 3) { headers.append(("Location", location)) }
        return Response(
            status: try stored.decode(Int.self, at: 1), body: Array(try stored.decode(String.self, at: 2).utf8),
            contentType: "application/json", headers: headers)
    }
}
