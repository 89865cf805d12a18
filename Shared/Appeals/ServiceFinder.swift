import Foundation
import Postgres

/// One service a search found: its code, its name in the asker's language, and how well it matched (0–1).
package struct ServiceMatch: Sendable, Equatable {
    package var code: String
    package var name: String
    package var department: String
    package var timeLimitDays: Int?
    package var unit: DayUnit?
    package var score: Double
}

/// What a search answered: a page of matches, how many there are in all, and whether they are only the nearest
/// services (nothing matched well enough) rather than matches.
package struct ServiceSearchResult: Sendable, Equatable {
    package var matches: [ServiceMatch]
    package var total: Int
    package var nearest: Bool
}

/// Everything a citizen needs to apply for a service, in their language: the documents, the fee, the notified time
/// limit, the designated officer and the appellate authorities, the link to apply and the department's WhatsApp Flow,
/// where the official values come from and which values are only illustrative (`sampleValues`).
package struct ServiceInformation: Sendable, Equatable {
    package var code: String
    package var name: String
    package var department: String
    package var documents: [String]
    /// nil: not known; 0: free.
    package var feeRupees: Decimal?
    package var timeLimitDays: Int?
    package var unit: DayUnit?
    /// Role names in the asker's language (the office is the applicant's own unless the catalogue names one).
    package var designatedOfficer: String?
    package var firstAppellate: String?
    package var secondAppellate: String?
    package var applyURL: String?
    package var whatsappFlowID: String?
    package var source: String
    /// Any of `time_limit`, `authorities`, `fee`, `documents`, `flow`: values that are sample data, not official.
    package var sampleValues: Set<String>
}

/// Finding a service in the catalogue: PostgreSQL's trigram matching (pg_trgm) and full-text search over every name
/// of every service in every language and its synonyms (migration 0042), so a misspelt Marathi name, a Hindi synonym
/// or Marathi typed in Latin letters find the service; the names shown are in the asker's language.
package enum ServiceFinder {
    /// The longest query taken (a longer text is cut): a service's name, not a letter.
    package static let maximumQueryLength = 100

    /// The services matching `query`, best first, `limit` from `offset`. A query that matches nothing well enough
    /// gives the `limit` nearest services by trigram similarity instead (`nearest` true) when any is at all similar.
    /// - Throws: `PostgresError` from the database.
    package static func search(
        _ query: String, language: String, limit: Int, offset: Int = 0, on connection: Connection
    ) throws -> ServiceSearchResult {
        let text = String(
            query.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().prefix(maximumQueryLength))
        guard !text.isEmpty else { return ServiceSearchResult(matches: [], total: 0, nearest: false) }
        // Each word of the query is matched on its own against every name and synonym: by trigram word similarity
        // (a misspelt word: "उत्पनाचा" in "उत्पन्नाचा दाखला") or as a word or the start of one (text search). A
        // service scores the mean of its best match per word, each word weighted by how rare it is among the services
        // (inverse document frequency), so "जाती" outweighs "प्रमाण पत्र", which half the catalogue shares; the whole
        // query's similarity to the service's closest term breaks ties.
        _ = try connection.query("SELECT set_config('pg_trgm.word_similarity_threshold', '0.4', false)")
        let rows = try connection.query(
            """
            WITH words AS (
                SELECT DISTINCT w FROM regexp_split_to_table($1::text, '[[:space:][:punct:]]+') AS w WHERE length(w) >= 2),
            per AS (
                SELECT w.w, t.service_code,
                       max(greatest(word_similarity(w.w, t.term),
                                    CASE WHEN to_tsvector('simple', t.term) @@ to_tsquery('simple', quote_literal(w.w) || ':*')
                                         THEN 1 ELSE 0 END)) AS s
                FROM words w JOIN service_search_terms t
                  ON w.w <% t.term OR to_tsvector('simple', t.term) @@ to_tsquery('simple', quote_literal(w.w) || ':*')
                GROUP BY 1, 2),
            idf AS (
                SELECT w.w, ln(1 + (SELECT count(*) FROM services) / greatest(count(p.service_code), 0.5)) AS idf
                FROM words w LEFT JOIN per p ON p.w = w.w GROUP BY w.w),
            scored AS (
                SELECT p.service_code, sum(p.s * i.idf) / (SELECT sum(idf) FROM idf) AS score
                FROM per p JOIN idf i ON i.w = p.w GROUP BY p.service_code),
            ranked AS (
                SELECT s.service_code, s.score,
                       (SELECT max(similarity(t.term, $1::text)) FROM service_search_terms t WHERE t.service_code = s.service_code) AS closeness
                FROM scored s),
            chosen AS (
                SELECT *, count(*) OVER () AS total FROM ranked
                WHERE score >= $5 OR NOT EXISTS (SELECT 1 FROM ranked WHERE score >= $5))
            SELECT c.service_code, service_name(c.service_code, $2), v.department, c.score, c.total, c.score >= $5
            FROM chosen c JOIN services v ON v.code = c.service_code
            ORDER BY c.score DESC, c.closeness DESC, service_name(c.service_code, $2), c.service_code
            LIMIT $3 OFFSET $4
            """, [text, language, limit, offset, matchScore])
        if let first = rows.first {
            return ServiceSearchResult(
                matches: try decorate(rows.rows, on: connection), total: try first.decode(Int.self, at: 4),
                nearest: !(try first.decode(Bool.self, at: 5)))
        }
        guard offset == 0 else { return ServiceSearchResult(matches: [], total: 0, nearest: false) }
        // No word matched any term: the services whose terms are nearest to the query as a whole, if any is at all.
        let nearest = try connection.query(
            """
            SELECT t.service_code, service_name(t.service_code, $2), s.department,
                   max(greatest(similarity(t.term, $1), word_similarity($1, t.term))) AS score
            FROM service_search_terms t JOIN services s ON s.code = t.service_code
            GROUP BY t.service_code, s.department
            HAVING max(greatest(similarity(t.term, $1), word_similarity($1, t.term))) > 0.2
            ORDER BY score DESC, t.service_code
            LIMIT $3
            """, [text, language, limit])
        return ServiceSearchResult(
            matches: try decorate(nearest.rows, on: connection), total: nearest.count, nearest: true)
    }

    /// The score (0–1) from which a service counts as found; below it, the best scored are offered as the nearest.
    package static let matchScore = 0.6

    /// Matches from rows of (code, name, department, score), with each service's general time limit.
    static func decorate(_ rows: [Row], on connection: Connection) throws -> [ServiceMatch] {
        let codes = try rows.map { try $0.decode(String.self, at: 0) }
        var limits: [String: (Int, DayUnit?)] = [:]
        for row in try connection.query(
            """
            SELECT DISTINCT ON (service_code) service_code, time_limit_days, day_unit
            FROM service_rules
            WHERE service_code = ANY($1::text[]) AND effective_from <= current_date
            ORDER BY service_code, (office_code IS NULL) DESC, (band_min IS NULL AND band_max IS NULL) DESC,
                     effective_from DESC
            """, [codes]
        ).rows {
            limits[try row.decode(String.self, at: 0)] = (
                try row.decode(Int.self, at: 1), DayUnit(rawValue: try row.decode(String.self, at: 2))
            )
        }
        return try rows.map { row in
            let code = try row.decode(String.self, at: 0)
            return ServiceMatch(
                code: code, name: try row.decode(String.self, at: 1), department: try row.decode(String.self, at: 2),
                timeLimitDays: limits[code]?.0, unit: limits[code]?.1, score: try row.decode(Double.self, at: 3))
        }
    }

    /// A service's information in `language`; the time limit and authorities from its general rule in force today
    /// (an office's own rule and amount bands are the portal's to apply to an application). nil: no such service.
    /// - Throws: `PostgresError` from the database.
    package static func information(code: String, language: String, on connection: Connection) throws
        -> ServiceInformation?
    {
        guard
            let row = try connection.query(
                """
                SELECT s.code, service_name(s.code, $2), s.department, d.fee_rupees::text, d.apply_url, d.whatsapp_flow_id,
                       coalesce(d.source, ''), coalesce(d.sample_values, '{}'),
                       ARRAY(SELECT catalogue_document_name(x.code, $2) FROM unnest(d.documents) WITH ORDINALITY AS x(code, n) ORDER BY x.n),
                       r.time_limit_days, r.day_unit, officer_role_name(r.do_role, $2), officer_role_name(r.faa_role, $2),
                       officer_role_name(r.saa_role, $2)
                FROM services s
                LEFT JOIN service_details d ON d.service_code = s.code
                LEFT JOIN LATERAL (
                    SELECT * FROM service_rules r WHERE r.service_code = s.code AND r.effective_from <= current_date
                    ORDER BY (r.office_code IS NULL) DESC, (r.band_min IS NULL AND r.band_max IS NULL) DESC,
                             r.band_min NULLS FIRST, r.effective_from DESC
                    LIMIT 1) r ON true
                WHERE s.code = $1
                """, [code, language]
            ).first
        else { return nil }
        return ServiceInformation(
            code: try row.decode(String.self, at: 0), name: try row.decode(String.self, at: 1),
            department: try row.decode(String.self, at: 2),
            documents: try row.decode([String]?.self, at: 8) ?? [],
            feeRupees: try row.decode(String?.self, at: 3).flatMap { Decimal(string: $0) },
            timeLimitDays: try row.decode(Int?.self, at: 9),
            unit: try row.decode(String?.self, at: 10).flatMap(DayUnit.init(rawValue:)),
            designatedOfficer: try row.decode(String?.self, at: 11),
            firstAppellate: try row.decode(String?.self, at: 12), secondAppellate: try row.decode(String?.self, at: 13),
            applyURL: try row.decode(String?.self, at: 4), whatsappFlowID: try row.decode(String?.self, at: 5),
            source: try row.decode(String.self, at: 6), sampleValues: Set(try row.decode([String].self, at: 7)))
    }
}

/// The catalogue's other files: officer roles and documents named in every language, and each service's details
/// (fee, documents, link to apply, WhatsApp Flow, synonyms, source, which values are sample data).
package enum ServiceDetails {
    /// The columns of a roles or documents CSV: the code, then `name_en` and optional `name_<language>` columns.
    package static let namedColumns = ["code", "name_en"]
    /// The columns of a service details CSV, in order.
    package static let detailColumns = [
        "service_code", "fee_rupees", "documents", "apply_url", "whatsapp_flow_id", "synonyms", "source",
        "sample_values",
    ]
    static let sampleKinds: Set<String> = ["time_limit", "authorities", "fee", "documents", "flow"]

    /// Imports officer roles (`table` "officer_roles") or documents ("catalogue_documents") from CSV in one
    /// transaction; one bad line imports nothing. Returns the number imported.
    /// - Throws: `CatalogueError` naming the line and column; `PostgresError` from the database.
    @discardableResult
    package static func importNamed(_ text: String, into kind: NamedKind, on connection: Connection) throws -> Int {
        let csv = try LocalizedCSV(text, columns: namedColumns, namesAfter: 2, on: connection)
        for line in csv.lines {
            guard line.fields[0].range(of: "^[A-Z0-9_]{2,64}$", options: .regularExpression) != nil else {
                throw CatalogueError(line: line.number, column: "code", problem: "a code of 2–64 capitals, digits or _")
            }
            guard !line.fields[1].isEmpty, line.fields[1].unicodeScalars.count <= 200 else {
                throw CatalogueError(line: line.number, column: "name_en", problem: "1–200 characters")
            }
        }
        try connection.transaction { tx in
            for line in csv.lines {
                try tx.query(
                    """
                    INSERT INTO \(kind.table) (code, name_en) VALUES ($1, $2)
                    ON CONFLICT (code) DO UPDATE SET name_en = excluded.name_en
                    """, [line.fields[0], line.fields[1]])
                try csv.storeNames(
                    line.names, of: line.fields[0], table: kind.namesTable, keyColumn: kind.keyColumn, on: tx)
            }
        }
        return csv.lines.count
    }

    /// Roles or documents.
    package enum NamedKind: Sendable {
        case roles, documents
        var table: String { self == .roles ? "officer_roles" : "catalogue_documents" }
        var namesTable: String { self == .roles ? "officer_role_names" : "catalogue_document_names" }
        var keyColumn: String { self == .roles ? "role_code" : "document_code" }
    }

    /// Imports service details from CSV in one transaction (one bad line imports nothing), and rebuilds the search
    /// terms of the services named. Every service must be in the catalogue already; documents must be known codes.
    /// `documents` are codes separated by spaces, `synonyms` by `;`, `sample_values` by spaces.
    /// - Throws: `CatalogueError` naming the line and column; `PostgresError` from the database.
    @discardableResult
    package static func importDetails(_ text: String, on connection: Connection) throws -> Int {
        // The header, field counts and trimming as for the other catalogue files (names in other languages may follow
        // the columns; a service's names come from the catalogue's own file, so they are not read here).
        let csv = try LocalizedCSV(text, columns: detailColumns, namesAfter: detailColumns.count, on: connection)
        let services = Set(
            try connection.query("SELECT code FROM services").rows.map { try $0.decode(String.self, at: 0) })
        let documents = Set(
            try connection.query("SELECT code FROM catalogue_documents").rows.map { try $0.decode(String.self, at: 0) })
        struct Line {
            var code: String
            var fee: String?
            var documents: [String]
            var applyURL: String?
            var flowID: String?
            var synonyms: [String]
            var source: String
            var sample: [String]
        }
        var lines: [Line] = []
        for line in csv.lines {
            let (number, f) = (line.number, line.fields)
            func fail(_ column: Int, _ problem: String) -> CatalogueError {
                CatalogueError(line: number, column: detailColumns[column], problem: problem)
            }
            guard services.contains(f[0]) else { throw fail(0, "not a service of the catalogue (import it first)") }
            guard f[1].isEmpty || (Decimal(string: f[1]).map { $0 >= 0 } ?? false) else {
                throw fail(1, "a fee in rupees (0 for free) or empty")
            }
            let codes = f[2].split(separator: " ").map(String.init)
            if let unknown = codes.first(where: { !documents.contains($0) }) {
                throw fail(2, "\(unknown) is not a document of the catalogue")
            }
            guard f[3].isEmpty || (f[3].hasPrefix("https://") && URL(string: f[3]) != nil) else {
                throw fail(3, "an https:// link or empty")
            }
            guard f[4].isEmpty || f[4].range(of: "^[A-Za-z0-9_-]{1,128}$", options: .regularExpression) != nil else {
                throw fail(4, "a Flow id of letters, digits, _ or - or empty")
            }
            let synonyms = f[5].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            guard synonyms.allSatisfy({ $0.unicodeScalars.count <= 200 }) else {
                throw fail(5, "at most 200 characters each")
            }
            let sample = f[7].split(separator: " ").map(String.init)
            guard sample.allSatisfy(sampleKinds.contains) else {
                throw fail(7, "any of " + sampleKinds.sorted().joined(separator: ", ") + ", separated by spaces")
            }
            lines.append(
                Line(
                    code: f[0], fee: f[1].isEmpty ? nil : f[1], documents: codes, applyURL: f[3].isEmpty ? nil : f[3],
                    flowID: f[4].isEmpty ? nil : f[4], synonyms: synonyms, source: f[6], sample: sample))
        }
        try connection.transaction { tx in
            for line in lines {
                try tx.query(
                    """
                    INSERT INTO service_details (service_code, fee_rupees, documents, apply_url, whatsapp_flow_id, source, sample_values)
                    VALUES ($1, $2::numeric, $3::text[], $4, $5, $6, $7::text[])
                    ON CONFLICT (service_code) DO UPDATE SET fee_rupees = excluded.fee_rupees, documents = excluded.documents,
                        apply_url = excluded.apply_url, whatsapp_flow_id = excluded.whatsapp_flow_id, source = excluded.source,
                        sample_values = excluded.sample_values, updated_at = now()
                    """, [line.code, line.fee, line.documents, line.applyURL, line.flowID, line.source, line.sample])
                try tx.query("SELECT service_search_refresh($1, $2::text[])", [line.code, line.synonyms])
            }
        }
        return lines.count
    }

    /// A file of the sample catalogue, bundled with the build.
    /// - Throws: `CatalogueError` when it is missing from the build.
    package static func sample(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: "csv", subdirectory: "catalogue") else {
            throw CatalogueError(line: 0, column: "*", problem: "the sample \(name).csv is missing from the build")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The whole Maharashtra sample: the rules, the roles, the documents and the details. Returns what was imported.
    /// - Throws: `CatalogueError` for a bad line; `PostgresError` from the database.
    package static func importMaharashtraSample(on connection: Connection) throws -> (
        rules: Int, roles: Int, documents: Int, services: Int
    ) {
        let rules = try Catalogue.importCSV(try Catalogue.maharashtraSample(), on: connection)
        let roles = try importNamed(try sample("maharashtra-roles"), into: .roles, on: connection)
        let documents = try importNamed(try sample("maharashtra-documents"), into: .documents, on: connection)
        let services = try importDetails(try sample("maharashtra-services"), on: connection)
        return (rules, roles, documents, services)
    }
}
