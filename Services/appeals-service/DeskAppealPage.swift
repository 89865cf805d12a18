import Appeals
import Foundation
import Postgres
import WebPages

/// One appeal on the desk: the appeal, the outcome the citizen received and when, the application's history, and
/// the forms its state allows (admit a late appeal; fix a hearing; decide, with the order PDF; record a penalty).
struct AppealPage {
    let appeal: Appeal
    let session: DeskSession
    let language: String
    let today: CivilDate
    let notice: (text: String, isError: Bool)?

    func w(_ key: String) -> String { WebPage.escape(DeskTexts.word(key, language)) }

    static func time(_ date: Date) -> String { HTMLPage.time(date) }

    func html(on connection: Connection) throws -> String {
        var out = ""
        if let notice {
            out +=
                "<p class=\"notice\(notice.isError ? "" : " done")\" role=\"\(notice.isError ? "alert" : "status")\">"
                + "\(notice.isError ? w("not_done") + " " : "")\(WebPage.escape(notice.text))</p>\n"
        }
        out += "<p><a href=\"/desk?lang=\(language)\">\(w("back_to_list"))</a></p>\n"
        let days = today.days(to: appeal.decideBy)
        let overdue = appeal.isOpen && (appeal.overdueAt != nil || days < 0)
        var rows: [(String, String)] = [
            ("application", WebPage.escape(appeal.portalApplicationID)), ("level", w("level_\(appeal.level)")),
            ("filed_on", "\(appeal.filedOn) (\(WebPage.escape(appeal.filedVia)))"),
            ("status", w("status_" + appeal.status)), ("decide_by", "\(appeal.decideBy)"),
        ]
        if appeal.isOpen {
            rows.append(
                (
                    "days_left",
                    overdue ? "<span class=\"overdue\">\(w("overdue")) \(max(-days, 0))</span>" : String(days)
                ))
        }
        if let hearing = appeal.hearingAt { rows.append(("hearing_at", Self.time(hearing))) }
        rows.append(("grounds", WebPage.escape(appeal.grounds)))
        if let relief = appeal.relief { rows.append(("relief", WebPage.escape(relief))) }
        if let delay = appeal.delayReason { rows.append(("delay_reason", WebPage.escape(delay))) }
        if let decision = appeal.decision {
            rows.append(("decision", w("decision_" + decision)))
            if let reasons = appeal.decisionReasons, !reasons.isEmpty {
                rows.append(("reasons", reasons.map(WebPage.escape).joined(separator: "<br>")))
            }
        }
        out += "<section aria-labelledby=\"appeal\"><h2 id=\"appeal\">\(w("the_appeal"))</h2>\n<dl>\n"
        for (label, value) in rows { out += "<dt>\(w(label))</dt><dd>\(value)</dd>\n" }
        out += "</dl></section>\n"

        // The outcome the citizen received, and when.
        let outcomes = try connection.query(
            """
            SELECT decision, reasons, created_at, first_delivered_at FROM deliveries
            WHERE application_id = $1 AND decision IN ('approved', 'rejected', 'other') ORDER BY created_at
            """, [appeal.applicationID]
        ).rows
        out += "<section aria-labelledby=\"outcomes\"><h2 id=\"outcomes\">\(w("outcomes"))</h2>\n"
        if outcomes.isEmpty {
            out += "<p>\(w("no_outcome"))</p>\n"
        } else {
            out += "<ul>\n"
            for row in outcomes {
                let reasons = try row.decode([String].self, at: 1)
                let delivered = try row.decode(Date?.self, at: 3).map { w("delivered_at") + " " + Self.time($0) }
                out +=
                    "<li>\(w("decision_" + (try row.decode(String.self, at: 0)))): \(w("decided_at")) "
                    + Self.time(try row.decode(Date.self, at: 2)) + "; " + (delivered ?? w("not_delivered"))
                    + (reasons.isEmpty ? "" : " (" + reasons.map(WebPage.escape).joined(separator: "; ") + ")")
                    + "</li>\n"
            }
            out += "</ul>\n"
        }
        out += "</section>\n"

        // The application's history, oldest first.
        let history = try connection.query(
            "SELECT event, at FROM application_history WHERE application_id = $1 ORDER BY at, id",
            [appeal.applicationID]
        ).rows
        out += "<section aria-labelledby=\"history\"><h2 id=\"history\">\(w("history"))</h2>\n"
        out +=
            "<table><thead><tr><th scope=\"col\">\(w("when"))</th><th scope=\"col\">\(w("what"))</th></tr></thead><tbody>\n"
        for row in history {
            let event = try row.decode(String.self, at: 0)
            let label = DeskTexts.words["event_" + event] != nil ? w("event_" + event) : WebPage.escape(event)
            out += "<tr><td>\(Self.time(try row.decode(Date.self, at: 1)))</td><td>\(label)</td></tr>\n"
        }
        out += "</tbody></table></section>\n"
        out += forms()
        return out
    }

    /// The forms this appeal's state allows, each with its CSRF token.
    func forms() -> String {
        let base = "/desk/appeals/\(WebPage.escape(appeal.number))"
        func token(_ action: OfficerDesk.Action) -> String {
            "<input type=\"hidden\" name=\"csrf\" value=\"\(session.csrfToken(for: action.rawValue + ":" + appeal.number))\">"
        }
        var out = ""
        if appeal.status == "awaiting_admission" {
            out += """
                <section aria-labelledby="admit"><h2 id="admit">\(w("admit_heading"))</h2>
                <form method="post" action="\(base)/admission?lang=\(language)">\(token(.admission))
                <fieldset><legend>\(w("admit_question"))</legend>
                <label><input type="radio" name="admit" value="yes" required> \(w("admit_yes"))</label>
                <label><input type="radio" name="admit" value="no"> \(w("admit_no"))</label>
                </fieldset>
                <label for="admit-reasons">\(w("reasons_one_per_line"))</label>
                <textarea id="admit-reasons" name="reasons" rows="3" cols="50"></textarea>
                <p><button type="submit">\(w("record"))</button></p>
                </form></section>

                """
        }
        if ["pending", "hearing_scheduled"].contains(appeal.status) {
            out += """
                <section aria-labelledby="hearing"><h2 id="hearing">\(w("hearing_heading"))</h2>
                <form method="post" action="\(base)/hearing?lang=\(language)">\(token(.hearing))
                <label for="hearing-at">\(w("hearing_at")) (IST)</label>
                <input id="hearing-at" name="hearing_at" type="datetime-local" required>
                <p><button type="submit">\(w("fix_hearing"))</button></p>
                </form></section>
                <section aria-labelledby="decide"><h2 id="decide">\(w("decide_heading"))</h2>
                <form method="post" action="\(base)/decision?lang=\(language)" enctype="multipart/form-data">\(token(.decision))
                <fieldset><legend>\(w("decision"))</legend>
                <label><input type="radio" name="decision" value="allowed" required> \(w("decision_allowed"))</label>
                <label><input type="radio" name="decision" value="dismissed"> \(w("decision_dismissed"))</label>
                </fieldset>
                <label for="directed-days">\(w("directed_days"))</label>
                <input id="directed-days" name="directed_days" type="number" min="1" max="90" inputmode="numeric">
                <label for="decision-reasons">\(w("reasons_one_per_line"))</label>
                <textarea id="decision-reasons" name="reasons" rows="4" cols="50"></textarea>
                <label for="order">\(w("order_pdf"))</label>
                <input id="order" name="order" type="file" accept="application/pdf">
                <p><button type="submit">\(w("record_decision"))</button></p>
                </form></section>

                """
        }
        if appeal.status == "decided" {
            out += """
                <section aria-labelledby="penalty"><h2 id="penalty">\(w("penalty_heading"))</h2>
                <form method="post" action="\(base)/penalty?lang=\(language)">\(token(.penalty))
                <label for="amount">\(w("amount"))</label>
                <input id="amount" name="amount" type="number" min="1" inputmode="numeric" required>
                <label for="penalty-reason">\(w("reason"))</label>
                <textarea id="penalty-reason" name="reason" rows="3" cols="50" required></textarea>
                <p><button type="submit">\(w("record_penalty"))</button></p>
                </form></section>

                """
        }
        return out
    }
}

/// A cluster team's list: the applications of the cluster's villages past their time limit with no outcome yet,
/// the longest overdue first (application number, village, service, due date, days past; no personal data).
struct ClusterPending {
    let cluster: String
    let language: String
    let today: CivilDate

    func html(on connection: Connection) throws -> String {
        let w = { (key: String) in WebPage.escape(DeskTexts.word(key, language)) }
        let rows = try connection.query(
            """
            SELECT a.portal_application_id, coalesce(n.name, v.name), service_name(a.service_code, $3), c.due_on
            FROM offices v
            JOIN applications a ON a.village_code = v.code
            JOIN application_clocks c ON c.application_id = a.id AND c.kind = 'time_limit' AND NOT c.is_test
            LEFT JOIN office_names n ON n.office_code = v.code AND n.language = $3
            WHERE v.parent_code = $1 AND v.type = 'village' AND c.due_on < $2::date
              AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.application_id = a.id AND d.decision IN ('approved', 'rejected'))
            ORDER BY c.due_on, a.portal_application_id
            LIMIT 500
            """, [cluster, today, language]
        ).rows
        guard !rows.isEmpty else { return "<p>\(w("cluster_none"))</p>\n" }
        var out = """
            <table>
            <caption>\(w("cluster_caption"))</caption>
            <thead><tr><th scope="col">\(w("application"))</th><th scope="col">\(w("village"))</th>\
            <th scope="col">\(w("service"))</th><th scope="col">\(w("due_on"))</th>\
            <th scope="col">\(w("days_past"))</th></tr></thead>
            <tbody>

            """
        for row in rows {
            let due = try row.decode(CivilDate.self, at: 3)
            out += """
                <tr><th scope="row">\(WebPage.escape(try row.decode(String.self, at: 0)))</th>\
                <td>\(WebPage.escape(try row.decode(String.self, at: 1)))</td>\
                <td>\(WebPage.escape(try row.decode(String.self, at: 2)))</td><td>\(due)</td>\
                <td class="overdue">\(due.days(to: today))</td></tr>

                """
        }
        return out + "</tbody>\n</table>\n"
    }
}
