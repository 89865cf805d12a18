import Appeals
import Foundation
import WebPages

/// The dashboard page's main content: where the office sits, the period chooser, the measures beside the period
/// before, three charts (inline SVG drawn here, each followed by its table), the offices below ranked, and how each
/// measure is counted.
struct DashboardHTML {
    let query: DashboardPage.Query
    let report: Dashboard.Report

    var language: String { query.language }
    func word(_ key: String) -> String { WebPage.escape(DashboardTexts.word(key, language)) }

    static let css = """
        .bars text{font-size:13px;fill:#1a1a1a}.bars .bar{fill:#0b4f9c}.bars .bar2{fill:#1b6e20}.bars .bar3{fill:#8a4b00}
        .bars .axis{stroke:#767676}figure{margin:1rem 0}figcaption{font-weight:bold}
        .num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#595959}
        .period{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-end}.period div{display:flex;flex-direction:column}
        .crumbs ol{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem}.crumbs li+li::before{content:"› "}
        @media (max-width:40rem){.data td[data-label]::before{content:attr(data-label) ": ";font-weight:bold}.num{text-align:left}}
        """

    var main: String {
        var html = crumbs() + periodForm()
        html += "<p>\(word("showing")): <strong>\(WebPage.escape(periodLabel(report.window)))</strong>. "
        html += "\(word("pending_as_of")) \(report.today.indianFormat). "
        if let refreshed = report.refreshedAt {
            html += "\(word("refreshed")) \(WebPage.escape(HTMLPage.time(refreshed)))."
        }
        html += "</p>\n"
        html += summary() + pendingSection() + deliverySection() + childrenSection() + definitions() + downloads()
        return html
    }

    // MARK: Parts

    func crumbs() -> String {
        guard report.path.count > 1 else { return "" }
        let items = report.path.map { office in
            office.code == report.office.code
                ? "<li><a href=\"\(WebPage.escape(query.path(office: office.code)))\" aria-current=\"page\">\(WebPage.escape(office.name))</a></li>"
                : "<li><a href=\"\(WebPage.escape(query.path(office: office.code)))\">\(WebPage.escape(office.name))</a></li>"
        }.joined()
        return "<nav class=\"crumbs\" aria-label=\"\(word("path"))\"><ol>\(items)</ol></nav>\n"
    }

    func periodForm() -> String {
        let options = Dashboard.Period.allCases.map { period in
            "<option value=\"\(period.rawValue)\"\(period == report.window.period ? " selected" : "")>\(word("period_" + period.rawValue))</option>"
        }.joined()
        return """
            <form class="period" method="get" action="/dashboard/\(WebPage.escape(report.office.code))">
            <input type="hidden" name="lang" value="\(language)">
            <div><label for="period">\(word("period"))</label><select id="period" name="period">\(options)</select></div>
            <div><label for="on">\(word("on"))</label><input id="on" name="on" type="date" value="\(report.window.first)"></div>
            <div><button type="submit">\(word("show"))</button></div>
            </form>
            <nav aria-label="\(word("period"))"><ul>
            <li><a href="\(WebPage.escape(query.path(report.window.previous)))" rel="prev">← \(word("previous_period")): \(WebPage.escape(periodLabel(report.window.previous)))</a></li>
            <li><a href="\(WebPage.escape(query.path(report.window.next)))" rel="next">\(word("next_period")): \(WebPage.escape(periodLabel(report.window.next))) →</a></li>
            </ul></nav>

            """
    }

    /// The measures of the office (channels and age bands have their own tables).
    static let summaryMeasures = Dashboard.measures.map(\.id).filter { id in
        !id.hasPrefix("portal_") && !id.hasPrefix("whatsapp_") && !id.hasPrefix("email_")
            && !id.hasPrefix("pending_past_limit_")
    }

    func summary() -> String {
        var rows = ""
        for id in Self.summaryMeasures {
            let unit = Dashboard.measures.first { $0.id == id }!.unit
            let current = report.current[id] ?? .none
            let previous = report.previous[id] ?? .none
            let forPeriod = !Dashboard.currentOnly.contains(id)
            rows +=
                "<tr><th scope=\"row\"><a href=\"#def-\(id)\">\(WebPage.escape(DashboardTexts.name(id, language)))</a></th>"
            rows += "<td class=\"num\" data-label=\"\(word("this_period"))\">\(format(current, unit))</td>"
            rows +=
                "<td class=\"num\" data-label=\"\(word("previous_period"))\">\(forPeriod ? format(previous, unit) : "<span class=\"muted\">\(word("not_for_period"))</span>")</td>"
            rows +=
                "<td class=\"num\" data-label=\"\(word("change"))\">\(forPeriod ? change(current, previous, unit) : "")</td></tr>\n"
        }
        return """
            <h2 id="measures">\(word("summary"))</h2>
            <table class="data">
            <thead><tr><th scope="col">\(word("measure"))</th><th scope="col">\(word("this_period"))<br><span class="muted">\(WebPage.escape(periodLabel(report.window)))</span></th><th scope="col">\(word("previous_period"))<br><span class="muted">\(WebPage.escape(periodLabel(report.window.previous)))</span></th><th scope="col">\(word("change"))</th></tr></thead>
            <tbody>
            \(rows)</tbody>
            </table>

            """
    }

    func pendingSection() -> String {
        let bands = zip(Dashboard.pendingBands, ["band_1_7", "band_8_30", "band_31_90", "band_over_90"]).map {
            (id: $0.id, label: DashboardTexts.word($1, language))
        }
        let chart = Self.barChart(
            id: "chart-pending", title: DashboardTexts.word("chart_pending", language),
            note: DashboardTexts.word("chart_table_note", language),
            rows: bands.map { band in
                (band.label, [(report.current[band.id] ?? .none, "bar", "")])
            }, unit: .count, language: language)
        let rows = bands.map { band in
            "<tr><th scope=\"row\">\(WebPage.escape(band.label))</th><td class=\"num\" data-label=\"\(word("applications"))\">\(format(report.current[band.id] ?? .none, .count))</td></tr>"
        }.joined(separator: "\n")
        return """
            <h2 id="pending">\(word("chart_pending"))</h2>
            \(chart)
            <table class="data"><caption>\(word("chart_pending")) (\(report.today.indianFormat))</caption>
            <thead><tr><th scope="col">\(word("band"))</th><th scope="col">\(word("applications"))</th></tr></thead>
            <tbody>
            \(rows)
            </tbody></table>

            """
    }

    func deliverySection() -> String {
        let channels = Dashboard.channels
        func id(_ channel: String, _ base: String) -> String {
            channel == "any" ? (base == "failures" ? "delivery_failures" : base) : channel + "_" + base
        }
        let chart = Self.barChart(
            id: "chart-delivery", title: DashboardTexts.word("chart_delivery", language),
            note: DashboardTexts.word("chart_table_note", language),
            rows: channels.map { channel in
                (
                    DashboardTexts.word("channel_" + channel, language),
                    [
                        (
                            report.current[id(channel, "reached_10s_percent")] ?? .none, "bar",
                            DashboardTexts.word("within_10s", language)
                        ),
                        (
                            report.current[id(channel, "reached_1h_percent")] ?? .none, "bar2",
                            DashboardTexts.word("within_1h", language)
                        ),
                        (
                            report.current[id(channel, "reached_1d_percent")] ?? .none, "bar3",
                            DashboardTexts.word("within_1d", language)
                        ),
                    ]
                )
            }, unit: .percent, language: language)
        let rows = channels.map { channel in
            "<tr><th scope=\"row\">\(word("channel_" + channel))</th>"
                + "<td class=\"num\" data-label=\"\(word("m_outcomes"))\">\(format(report.current[id(channel, "outcomes")] ?? .none, .count))</td>"
                + ["10s", "1h", "1d"].map { within in
                    "<td class=\"num\" data-label=\"\(word("within_" + within))\">\(format(report.current[id(channel, "reached_\(within)_percent")] ?? .none, .percent))</td>"
                }.joined()
                + "<td class=\"num\" data-label=\"\(word("m_delivery_failures"))\">\(format(report.current[id(channel, "failures")] ?? .none, .count))</td></tr>"
        }.joined(separator: "\n")
        return """
            <h2 id="delivery">\(word("chart_delivery"))</h2>
            \(chart)
            <table class="data"><caption>\(word("chart_delivery")): \(WebPage.escape(periodLabel(report.window)))</caption>
            <thead><tr><th scope="col">\(word("channel"))</th><th scope="col">\(word("m_outcomes"))</th><th scope="col">\(word("within_10s")) (%)</th><th scope="col">\(word("within_1h")) (%)</th><th scope="col">\(word("within_1d")) (%)</th><th scope="col">\(word("m_delivery_failures"))</th></tr></thead>
            <tbody>
            \(rows)
            </tbody></table>

            """
    }

    static let childColumns: [(id: String, unit: Dashboard.Unit)] = [
        ("received", .count), ("disposed", .count), ("within_limit_percent", .percent), ("pending_past_limit", .count),
        ("median_days", .days), ("rejection_percent", .percent), ("first_appeals_per_1000", .per1000),
        ("reached_1h_percent", .percent),
    ]

    func childrenSection() -> String {
        guard !report.children.isEmpty else {
            return "<h2 id=\"children\">\(word("children"))</h2>\n<p>\(word("no_children"))</p>\n"
        }
        let chart = Self.barChart(
            id: "chart-children", title: DashboardTexts.word("chart_children", language),
            note: DashboardTexts.word("chart_table_note", language),
            rows: report.children.map { child in
                (child.office.name, [(child.values["within_limit_percent"] ?? .none, "bar", "")])
            }, unit: .percent, language: language)
        let header = Self.childColumns.map {
            "<th scope=\"col\">\(WebPage.escape(DashboardTexts.name($0.id, language)))</th>"
        }.joined()
        let rows = report.children.map { child in
            "<tr><td class=\"num\" data-label=\"\(word("rank"))\">\(child.rank.map(String.init) ?? "—")</td>"
                + "<th scope=\"row\"><a href=\"\(WebPage.escape(query.path(office: child.office.code)))\">\(WebPage.escape(child.office.name))</a></th>"
                + Self.childColumns.map { column in
                    "<td class=\"num\" data-label=\"\(WebPage.escape(DashboardTexts.name(column.id, language)))\">\(format(child.values[column.id] ?? .none, column.unit))</td>"
                }.joined() + "</tr>"
        }.joined(separator: "\n")
        return """
            <h2 id="children">\(word("children"))</h2>
            \(chart)
            <table class="data"><caption>\(word("children")): \(WebPage.escape(periodLabel(report.window))). \(word("rank_note"))</caption>
            <thead><tr><th scope="col">\(word("rank"))</th><th scope="col">\(word("office"))</th>\(header)</tr></thead>
            <tbody>
            \(rows)
            </tbody></table>

            """
    }

    func definitions() -> String {
        let ids = Self.summaryMeasures + ["pending_past_limit_1_7_days"]
        let items = ids.map { id in
            "<dt id=\"def-\(id)\">\(WebPage.escape(id == "pending_past_limit_1_7_days" ? DashboardTexts.word("band", language) : DashboardTexts.name(id, language)))</dt><dd>\(WebPage.escape(DashboardTexts.definition(id, language)))</dd>"
        }.joined(separator: "\n")
        return """
            <h2 id="definitions">\(word("definitions"))</h2>
            <dl>
            \(items)
            </dl>
            <h3>\(word("note_title"))</h3>
            <p>\(word("note_suppression"))</p>
            <p>\(word("note_place"))</p>

            """
    }

    func downloads() -> String {
        """
        <h2 id="data">\(word("downloads"))</h2>
        <ul>
        <li><a href="\(WebPage.escape(query.path(suffix: "/data.json")))" type="application/json">\(word("json"))</a></li>
        <li><a href="\(WebPage.escape(query.path(suffix: "/data.csv")))" type="text/csv">\(word("csv"))</a></li>
        </ul>

        """
    }

    // MARK: Formatting

    func periodLabel(_ window: Dashboard.Window) -> String {
        switch window.period {
        case .day: window.first.indianFormat
        case .week, .month:
            window.first.indianFormat + " " + DashboardTexts.word("to", language) + " " + window.last.indianFormat
        case .year: "\(window.first.components.year)–\(String(window.last.components.year % 100))"
        }
    }

    func format(_ value: Dashboard.Value, _ unit: Dashboard.Unit) -> String {
        if value.suppressed { return "<span class=\"muted\">\(word("suppressed"))</span>" }
        guard let number = value.value else { return "<span class=\"muted\">\(word("no_data"))</span>" }
        return WebPage.escape(Self.text(number, unit))
    }

    static func text(_ number: Double, _ unit: Dashboard.Unit) -> String {
        switch unit {
        case .count, .days: grouped(Int(number))
        case .rupees: "₹" + grouped(Int(number))
        case .percent: String(format: "%.1f%%", number)
        case .per1000: String(format: "%.1f", number)
        }
    }

    /// Indian digit grouping: 12,34,567.
    static func grouped(_ n: Int) -> String {
        let digits = String(abs(n))
        guard digits.count > 3 else { return (n < 0 ? "-" : "") + digits }
        var head = String(digits.dropLast(3)), parts: [String] = []
        while head.count > 2 {
            parts.insert(String(head.suffix(2)), at: 0)
            head = String(head.dropLast(2))
        }
        if !head.isEmpty { parts.insert(head, at: 0) }
        return (n < 0 ? "-" : "") + parts.joined(separator: ",") + "," + digits.suffix(3)
    }

    func change(_ current: Dashboard.Value, _ previous: Dashboard.Value, _ unit: Dashboard.Unit) -> String {
        guard let a = current.value, let b = previous.value else { return "" }
        let delta = a - b
        let sign = delta > 0 ? "+" : delta < 0 ? "−" : ""
        switch unit {
        case .percent: return sign + String(format: "%.1f", abs(delta))
        case .per1000: return sign + String(format: "%.1f", abs(delta))
        default: return sign + Self.grouped(Int(abs(delta)))
        }
    }

    // MARK: Charts

    /// A horizontal bar chart in inline SVG: one group per row, one bar per value (class `bar`, `bar2`, `bar3`),
    /// each bar labelled with its value in text (so colour never carries the meaning alone). Counts scale to the
    /// largest; percentages to 100. The chart is an image described by its title; its table follows it.
    static func barChart(
        id: String, title: String, note: String, rows: [(String, [(Dashboard.Value, String, String)])],
        unit: Dashboard.Unit, language: String
    ) -> String {
        let width = 640.0, labelWidth = 200.0, barArea = 250.0, barHeight = 18.0, gap = 10.0
        let maximum =
            unit == .percent ? 100 : max(rows.flatMap { $0.1.compactMap { $0.0.value } }.max() ?? 0, 1)
        var y = 4.0
        var body = ""
        for (label, bars) in rows {
            let groupHeight = Double(bars.count) * (barHeight + 2)
            let shown = label.count > 28 ? String(label.prefix(27)) + "…" : label
            body += "<text x=\"0\" y=\"\(y + groupHeight / 2 + 4)\">\(WebPage.escape(shown))</text>"
            for (index, bar) in bars.enumerated() {
                let top = y + Double(index) * (barHeight + 2)
                let length = bar.0.value.map { max($0 / maximum * barArea, 0) } ?? 0
                let text =
                    bar.0.suppressed
                    ? DashboardTexts.word("suppressed", language)
                    : bar.0.value.map { DashboardHTML.text($0, unit) } ?? DashboardTexts.word("no_data", language)
                body +=
                    "<rect class=\"\(bar.1)\" x=\"\(labelWidth)\" y=\"\(top)\" width=\"\(String(format: "%.1f", length))\" height=\"\(barHeight)\"></rect>"
                body +=
                    "<text x=\"\(String(format: "%.1f", labelWidth + length + 4))\" y=\"\(top + barHeight - 4)\">\(WebPage.escape((bar.2.isEmpty ? "" : bar.2 + ": ") + text))</text>"
            }
            y += groupHeight + gap
        }
        let height = max(y, 30)
        return """
            <figure>
            <svg class="bars" role="img" aria-labelledby="\(id)-title \(id)-desc" viewBox="0 0 \(Int(width)) \(Int(height))" width="100%" preserveAspectRatio="xMinYMin meet">
            <title id="\(id)-title">\(WebPage.escape(title))</title><desc id="\(id)-desc">\(WebPage.escape(note))</desc>
            <line class="axis" x1="\(labelWidth)" y1="0" x2="\(labelWidth)" y2="\(height)"></line>
            \(body)
            </svg>
            <figcaption>\(WebPage.escape(title)). \(WebPage.escape(note))</figcaption>
            </figure>
            """
    }
}
