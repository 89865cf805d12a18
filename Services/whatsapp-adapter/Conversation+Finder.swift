import Appeals
import Foundation
import JobContracts
import Postgres
import Texts
import WhatsAppGraph

/// "Find a service" in the conversation: the citizen types a name (in any language, misspelt or in Latin letters),
/// gets the matching services as a list (Meta's limits: 10 rows of 24-character titles and 72-character descriptions,
/// so 9 services and a "More results" row), or the nearest ones when nothing matches; choosing one shows what to
/// bring, the fee, the notified time limit, the designated officer and appellate authorities and the link to apply,
/// and opens the department's WhatsApp Flow where it offers one. Values that are sample data say so.
extension Conversation {
    /// The search being paged through, kept with the conversation.
    struct SearchDraft: Codable {
        var query: String
        var page: Int
    }

    /// Services per list page: Meta's ten rows, one kept for "More results".
    static let searchPageSize = 9

    /// Handles the finder's steps; returns false when the message is not part of them.
    func findStep(
        state: String, choice: String?, text: String?, digit: String?, number: String, language: String, wamid: String,
        replies: inout [ConversationReply], on tx: Connection
    ) throws -> Bool {
        let mobile = "+" + number
        if choice == "menu:find" || digit == "5" {
            try save(number, language: language, state: "awaiting_search", on: tx)
            replies.append(ConversationReply(to: mobile, text: WhatsAppTexts.findAsk(language)))
            return true
        }
        if let choice, choice.hasPrefix("find:more:"), let page = Int(choice.dropFirst(10)), page > 0 {
            guard let draft = try draft(number, as: SearchDraft.self, on: tx) else {
                replies.append(menu(to: mobile, language: language))
                return true
            }
            try save(
                number, language: language, state: "menu", draft: SearchDraft(query: draft.query, page: page), on: tx)
            replies.append(try results(for: draft.query, page: page, to: mobile, language: language, on: tx))
            return true
        }
        if let choice, choice.hasPrefix("svc:") {
            replies += try information(
                code: String(choice.dropFirst(4)), to: mobile, language: language, wamid: wamid, on: tx)
            return true
        }
        if state == "awaiting_search", choice == nil, let text, !text.isEmpty {
            let query = Self.quotable(text)
            try save(number, language: language, state: "menu", draft: SearchDraft(query: query, page: 0), on: tx)
            replies.append(try results(for: query, page: 0, to: mobile, language: language, on: tx))
            return true
        }
        return false
    }

    /// One page of a search's results as a list; the nearest services when nothing matched; a plain "nothing found"
    /// when not even those.
    func results(for query: String, page: Int, to mobile: String, language: String, on tx: Connection) throws
        -> ConversationReply
    {
        let size = Self.searchPageSize
        let found = try ServiceFinder.search(query, language: language, limit: size, offset: page * size, on: tx)
        guard !found.matches.isEmpty else {
            return ConversationReply(to: mobile, text: WhatsAppTexts.findNothing(language, ["query": query]))
        }
        var rows: [(id: String, title: String, description: String?)] = found.matches.map { match in
            (
                "svc:" + match.code, match.name,
                Self.rowDescription(name: match.name, days: match.timeLimitDays, unit: match.unit, language: language)
            )
        }
        let shown = page * size + found.matches.count
        if !found.nearest, shown < found.total {
            let to = min(shown + size, found.total)
            rows.append(
                (
                    "find:more:\(page + 1)", WhatsAppTexts.findMore(language),
                    WhatsAppTexts.findMoreDescription(
                        language, ["from": String(shown + 1), "to": String(to), "total": String(found.total)])
                ))
        }
        let body =
            found.nearest
            ? WhatsAppTexts.findNearest(language, ["query": query])
            : WhatsAppTexts.findResults(language, ["query": query, "total": String(found.total)])
        let button = WhatsAppTexts.findButton(language)
        return ConversationReply(
            to: mobile, text: body, interactive: .list(body: body, button: button, section: button, rows: rows))
    }

    /// A row's line under the title: the whole name when the title had to be cut, then the time limit.
    static func rowDescription(name: String, days: Int?, unit: DayUnit?, language: String) -> String? {
        let limit = days.map { days in
            (unit == .working ? WhatsAppTexts.daysWorking : WhatsAppTexts.daysCalendar)(
                language, ["days": String(days)])
        }
        guard name.unicodeScalars.count > 24 else { return limit }
        return [name, limit].compactMap { $0 }.joined(separator: " · ")
    }

    /// The service's information as a text message, then the department's Flow to apply where it has one.
    func information(code: String, to mobile: String, language: String, wamid: String, on tx: Connection) throws
        -> [ConversationReply]
    {
        guard code.count <= 64, let info = try ServiceFinder.information(code: code, language: language, on: tx) else {
            return [menu(to: mobile, language: language)]
        }
        var replies = [ConversationReply(to: mobile, text: Self.informationText(info, language: language))]
        if let flow = info.whatsappFlowID {
            let body = WhatsAppTexts.serviceFlowBody(language, ["service": info.name])
            replies.append(
                ConversationReply(
                    to: mobile, text: body,
                    interactive: .flow(
                        body: body, flowID: flow, button: WhatsAppTexts.serviceFlowButton(language),
                        token: "service:\(info.code):\(wamid)")))
        }
        return replies
    }

    /// What to bring, the fee, the time limit, who decides and who hears appeals, and where to apply; each sample
    /// value marked, with a closing note on what that means and the source of the official ones.
    static func informationText(_ info: ServiceInformation, language: String) -> String {
        let sample = " (" + WhatsAppTexts.serviceSample(language) + ")"
        func mark(_ kind: String) -> String { info.sampleValues.contains(kind) ? sample : "" }
        var lines = ["*" + info.name + "*", ""]
        lines.append(WhatsAppTexts.serviceDocuments(language) + mark("documents") + ":")
        if info.documents.isEmpty {
            lines.append(WhatsAppTexts.serviceNoDocuments(language))
        } else {
            lines += info.documents.map { "• " + $0 }
        }
        lines.append("")
        let fee: String
        switch info.feeRupees {
        case nil: fee = WhatsAppTexts.serviceFeeUnknown(language)
        case let rupees? where rupees == 0: fee = WhatsAppTexts.serviceFree(language)
        case let rupees?: fee = "₹\(rupees)"
        }
        lines.append(WhatsAppTexts.serviceFee(language) + ": " + fee + (info.feeRupees == nil ? "" : mark("fee")))
        if let days = info.timeLimitDays {
            let limit = (info.unit == .working ? WhatsAppTexts.daysWorking : WhatsAppTexts.daysCalendar)(
                language, ["days": String(days)])
            lines.append(WhatsAppTexts.serviceTimeLimit(language) + ": " + limit + mark("time_limit"))
        }
        let authorities: [(Localized, String?)] = [
            (WhatsAppTexts.serviceOfficer, info.designatedOfficer),
            (WhatsAppTexts.serviceFirstAppeal, info.firstAppellate),
            (WhatsAppTexts.serviceSecondAppeal, info.secondAppellate),
        ]
        for (label, role) in authorities {
            if let role { lines.append(label(language) + ": " + role + mark("authorities")) }
        }
        if let url = info.applyURL { lines += ["", WhatsAppTexts.serviceApply(language) + ": " + url] }
        if !info.sampleValues.isEmpty { lines += ["", "_" + WhatsAppTexts.serviceSampleNote(language) + "_"] }
        if !info.source.isEmpty { lines.append(WhatsAppTexts.serviceSource(language) + ": " + info.source) }
        return lines.joined(separator: "\n")
    }
}
