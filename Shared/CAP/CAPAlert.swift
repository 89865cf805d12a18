import ServiceRuntime

/// A Common Alerting Protocol 1.2 alert (OASIS CAP 1.2, ITU-T X.1303), the format of India's NDMA alert platform:
/// what Dakiya needs of it to reach citizens, read and checked by `CAP.parse`.
package struct CAPAlert: Sendable, Equatable {
    /// Who it is for: `Actual` everyone; `Exercise` and `Test` test recipients only; `System` and `Draft` no one.
    package enum Status: String, Sendable, CaseIterable {
        case actual = "Actual", exercise = "Exercise", system = "System", test = "Test", draft = "Draft"
    }
    /// A new alert, or an `Update` or `Cancel` of the ones in `references` (`Ack`, `Error`: replies between systems).
    package enum MessageType: String, Sendable, CaseIterable {
        case alert = "Alert", update = "Update", cancel = "Cancel", ack = "Ack", error = "Error"
    }
    /// `Public`; `Restricted` to those `restriction` describes; `Private` to the `addresses`.
    package enum Scope: String, Sendable, CaseIterable {
        case `public` = "Public", restricted = "Restricted", `private` = "Private"
    }

    package var identifier: String
    package var sender: String
    package var sent: CAPDateTime
    package var status: Status
    package var messageType: MessageType
    package var source: String?
    package var scope: Scope
    package var restriction: String?
    package var addresses: String?
    package var codes: [String]
    package var note: String?
    package var references: [CAPReference]
    package var incidents: String?
    package var infos: [CAPInfo]

    /// True when every `info` has expired at `seconds` (since the epoch); an alert with an `info` that names no
    /// expiry never expires.
    package func hasExpired(at seconds: Int64) -> Bool {
        !infos.isEmpty && infos.allSatisfy { ($0.expires?.epochSeconds).map { $0 <= seconds } ?? false }
    }

    /// Whether it reaches only test recipients (`Test`, `Exercise`), no one (`System`, `Draft`), or everyone.
    package var isForTestRecipientsOnly: Bool { status == .test || status == .exercise }
}

/// One earlier alert that an `Update`, `Cancel`, `Ack` or `Error` refers to (`sender,identifier,sent`).
package struct CAPReference: Sendable, Equatable {
    package var sender: String
    package var identifier: String
    package var sent: CAPDateTime

    /// The earlier alert `identifier` of `sender`, sent at `sent`.
    package init(sender: String, identifier: String, sent: CAPDateTime) {
        self.sender = sender
        self.identifier = identifier
        self.sent = sent
    }
}

/// The alert in one language.
package struct CAPInfo: Sendable, Equatable {
    /// What the event is about (CAP 1.2, 3.2.2 category).
    package enum Category: String, Sendable, CaseIterable {
        case geo = "Geo", met = "Met", safety = "Safety", security = "Security", rescue = "Rescue", fire = "Fire"
        case health = "Health", env = "Env", transport = "Transport", infra = "Infra", cbrne = "CBRNE", other = "Other"
    }
    /// What the audience should do.
    package enum ResponseType: String, Sendable, CaseIterable {
        case shelter = "Shelter", evacuate = "Evacuate", prepare = "Prepare", execute = "Execute", avoid = "Avoid"
        case monitor = "Monitor", assess = "Assess", allClear = "AllClear", none = "None"
    }
    /// How soon to act.
    package enum Urgency: String, Sendable, CaseIterable {
        case immediate = "Immediate", expected = "Expected", future = "Future", past = "Past", unknown = "Unknown"
    }
    /// How much harm to expect.
    package enum Severity: String, Sendable, CaseIterable {
        case extreme = "Extreme", severe = "Severe", moderate = "Moderate", minor = "Minor", unknown = "Unknown"
    }
    /// How sure the sender is.
    package enum Certainty: String, Sendable, CaseIterable {
        case observed = "Observed", likely = "Likely", possible = "Possible", unlikely = "Unlikely", unknown = "Unknown"
    }

    /// RFC 3066 language tag; `en-US` when the alert names none (CAP 1.2, 3.2.2).
    package var language: String
    package var categories: [Category]
    package var event: String
    package var responseTypes: [ResponseType]
    package var urgency: Urgency
    package var severity: Severity
    package var certainty: Certainty
    package var audience: String?
    package var eventCodes: [CAPValue]
    package var effective: CAPDateTime?
    package var onset: CAPDateTime?
    package var expires: CAPDateTime?
    package var senderName: String?
    package var headline: String?
    package var description: String?
    package var instruction: String?
    package var web: String?
    package var contact: String?
    package var parameters: [CAPValue]
    package var areas: [CAPArea]
}

/// A `valueName` and `value` pair (eventCode, parameter, geocode).
package struct CAPValue: Sendable, Equatable {
    package var name: String
    package var value: String

    /// The pair `name`, `value`.
    package init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A WGS 84 point.
package struct CAPPoint: Sendable, Equatable {
    package var latitude: Double
    package var longitude: Double
}

/// Where the alert applies.
package struct CAPArea: Sendable, Equatable {
    package var description: String
    /// Closed rings, first point equal to the last.
    package var polygons: [[CAPPoint]]
    package var circles: [CAPCircle]
    package var geocodes: [CAPValue]
}

/// A circle: its centre and radius in kilometres.
package struct CAPCircle: Sendable, Equatable {
    package var center: CAPPoint
    package var radiusKilometres: Double
}

/// A CAP dateTime: `2026-11-28T14:05:00+05:30`, always with its offset ("Z" is not allowed, CAP 1.2, 3.3.2).
package struct CAPDateTime: Sendable, Equatable, CustomStringConvertible {
    /// As written.
    package var text: String
    /// The instant, in seconds since 1970-01-01T00:00:00Z.
    package var epochSeconds: Int64

    package var description: String { text }

    /// The dateTime `text`, or nil when it is not one.
    package init?(_ text: String) {
        let scalars = Array(text.utf8)
        guard scalars.count == 25 else { return nil }
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = scalars[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard scalars[4] == 45, scalars[7] == 45, scalars[10] == 84, scalars[13] == 58, scalars[16] == 58,
            scalars[22] == 58, scalars[19] == 43 || scalars[19] == 45,
            let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10),
            let hour = digits(11..<13), let minute = digits(14..<16), let second = digits(17..<19),
            let offsetHours = digits(20..<22), let offsetMinutes = digits(23..<25),
            (1...12).contains(month), hour < 24, minute < 60, second < 60, offsetHours <= 14, offsetMinutes < 60
        else { return nil }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day >= 1, day <= monthDays[month - 1] else { return nil }
        // Days from the civil date (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let offset = (offsetHours * 3600 + offsetMinutes * 60) * (scalars[19] == 45 ? -1 : 1)
        self.text = text
        epochSeconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offset)
    }
}

/// Everything wrong with a CAP document, each naming the element (`alert/info[2]/urgency`).
package struct CAPProblems: Error, Equatable, CustomStringConvertible {
    /// One element at fault and what is wrong with it.
    package struct Problem: Sendable, Equatable {
        /// The element, as a path from the root (`alert/info[1]/area[1]/polygon[1]`).
        package var path: String
        package var message: String

        /// `message` about the element at `path`.
        package init(path: String, message: String) {
            self.path = path
            self.message = message
        }
    }
    package var problems: [Problem]

    /// These problems.
    package init(problems: [Problem]) { self.problems = problems }
    package var description: String { problems.map { "\($0.path): \($0.message)" }.joined(separator: "; ") }
}

/// Reading and checking CAP 1.2 alerts.
package enum CAP {
    /// The CAP 1.2 namespace, which the root `alert` element must be in.
    package static let namespace = "urn:oasis:names:tc:emergency:cap:1.2"

    /// The alert in `bytes`: well-formed XML, the CAP 1.2 schema's elements in its order with its cardinalities and
    /// enumerations, and the rules its text adds (restriction and addresses by scope, closed polygons, dateTimes
    /// with an offset, no spaces, commas, `<` or `&` in identifiers), plus one of Dakiya's own: an Update or Cancel
    /// must say which alert it changes (`references`).
    /// - Throws: `CAPProblems` naming every element at fault (an XML syntax error is the only problem when there is one).
    package static func parse(_ bytes: [UInt8]) throws(CAPProblems) -> CAPAlert {
        let root: XMLElement
        do {
            root = try XMLReader.parse(bytes)
        } catch {
            throw CAPProblems(problems: [.init(path: "(document)", message: "not well-formed XML: \(error)")])
        }
        var reader = Checker()
        guard root.name == "alert", root.namespace == namespace else {
            throw CAPProblems(problems: [
                .init(
                    path: root.name,
                    message:
                        "not a CAP 1.2 alert: the root element must be <alert> in the namespace \(namespace) (found <\(root.name)> in \(root.namespace.isEmpty ? "no namespace" : root.namespace))"
                )
            ])
        }
        let alert = reader.alert(root)
        guard let alert, reader.problems.isEmpty else { throw CAPProblems(problems: reader.problems) }
        return alert
    }

    /// Collects problems while it reads.
    private struct Checker {
        var problems: [CAPProblems.Problem] = []

        mutating func problem(_ path: String, _ message: String) {
            problems.append(.init(path: path, message: message))
        }

        /// Checks `element`'s CAP children against `sequence` (name, minimum, maximum: nil for unbounded), in order;
        /// elements of other namespaces (a signature) are allowed after them. Returns the children by name.
        mutating func children(
            of element: XMLElement, at path: String, _ sequence: [(String, Int, Int?)]
        ) -> [String: [(element: XMLElement, path: String)]] {
            var found: [String: [(element: XMLElement, path: String)]] = [:]
            var position = 0
            var counts: [String: Int] = [:]
            let text = element.text.trimmingSpaces()
            if !text.isEmpty { problem(path, "text directly inside <\(element.name)> is not allowed") }
            for child in element.children {
                if child.namespace != CAP.namespace { continue }
                counts[child.name, default: 0] += 1
                let childPath =
                    "\(path)/\(child.name)"
                    + (counts[child.name]! > 1 || child.name == "info" || child.name == "area"
                        ? "[\(counts[child.name]!)]" : "")
                guard let index = sequence[position...].firstIndex(where: { $0.0 == child.name }) else {
                    if sequence.contains(where: { $0.0 == child.name }) {
                        problem(
                            childPath,
                            "<\(child.name)> is out of order: \(sequence.map(\.0).joined(separator: ", ")) is the order"
                        )
                    } else {
                        problem(childPath, "<\(child.name)> is not an element of <\(element.name)>")
                    }
                    continue
                }
                position = index
                if let maximum = sequence[index].2, counts[child.name]! > maximum {
                    problem(
                        childPath, "<\(child.name)> may appear at most \(maximum == 1 ? "once" : "\(maximum) times")")
                }
                if !child.children.isEmpty
                    && !["info", "area", "resource", "eventCode", "parameter", "geocode"].contains(child.name)
                {
                    problem(childPath, "<\(child.name)> holds text only")
                }
                found[child.name, default: []].append((child, childPath))
            }
            for (name, minimum, _) in sequence where (counts[name] ?? 0) < minimum {
                problem("\(path)/\(name)", "<\(name)> is required in <\(element.name)>")
            }
            return found
        }

        func text(_ entry: (element: XMLElement, path: String)?) -> String? {
            entry.map { $0.element.text.trimmingSpaces() }
        }

        mutating func required(_ entries: [String: [(element: XMLElement, path: String)]], _ name: String) -> String? {
            guard let value = text(entries[name]?.first) else { return nil }
            if value.isEmpty { problem(entries[name]![0].path, "<\(name)> is empty") }
            return value
        }

        mutating func enumerated<T: RawRepresentable & CaseIterable>(
            _ entry: (element: XMLElement, path: String)?, _ type: T.Type
        ) -> T? where T.RawValue == String {
            guard let entry, let value = text(entry) else { return nil }
            guard let result = T(rawValue: value) else {
                problem(
                    entry.path,
                    "\"\(value)\" is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
                return nil
            }
            return result
        }

        mutating func dateTime(_ entry: (element: XMLElement, path: String)?) -> CAPDateTime? {
            guard let entry, let value = text(entry) else { return nil }
            guard let result = CAPDateTime(value) else {
                problem(
                    entry.path,
                    "\"\(value)\" is not a CAP dateTime such as 2026-11-28T14:05:00+05:30 (an offset, never \"Z\")")
                return nil
            }
            return result
        }

        mutating func plainIdentifier(_ value: String?, at path: String) {
            guard let value else { return }
            if value.contains(where: { $0 == " " || $0 == "," || $0 == "<" || $0 == "&" || $0.isNewline || $0 == "\t" })
            {
                problem(path, "must not contain spaces, commas, '<' or '&'")
            }
        }

        mutating func alert(_ root: XMLElement) -> CAPAlert? {
            let path = "alert"
            let entries = children(
                of: root, at: path,
                [
                    ("identifier", 1, 1), ("sender", 1, 1), ("sent", 1, 1), ("status", 1, 1), ("msgType", 1, 1),
                    ("source", 0, 1), ("scope", 1, 1), ("restriction", 0, 1), ("addresses", 0, 1), ("code", 0, nil),
                    ("note", 0, 1), ("references", 0, 1), ("incidents", 0, 1), ("info", 0, nil),
                ])
            let identifier = required(entries, "identifier")
            let sender = required(entries, "sender")
            plainIdentifier(identifier, at: "alert/identifier")
            plainIdentifier(sender, at: "alert/sender")
            let sent = dateTime(entries["sent"]?.first)
            let status = enumerated(entries["status"]?.first, CAPAlert.Status.self)
            let messageType = enumerated(entries["msgType"]?.first, CAPAlert.MessageType.self)
            let scope = enumerated(entries["scope"]?.first, CAPAlert.Scope.self)
            let restriction = text(entries["restriction"]?.first)
            let addresses = text(entries["addresses"]?.first)
            if scope == .restricted && (restriction ?? "").isEmpty {
                problem("alert/restriction", "<restriction> is required when <scope> is Restricted")
            }
            if scope == .private && (addresses ?? "").isEmpty {
                problem("alert/addresses", "<addresses> is required when <scope> is Private")
            }
            var references: [CAPReference] = []
            if let entry = entries["references"]?.first, let value = text(entry) {
                for triple in value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0.isNewline }) {
                    let parts = triple.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    if parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, let at = CAPDateTime(parts[2]) {
                        references.append(CAPReference(sender: parts[0], identifier: parts[1], sent: at))
                    } else {
                        problem(entry.path, "\"\(triple)\" is not sender,identifier,sent")
                    }
                }
            }
            if (messageType == .update || messageType == .cancel) && references.isEmpty && entries["references"] == nil
            {
                problem(
                    "alert/references",
                    "an \(messageType!.rawValue) must name the alert it changes in <references> (sender,identifier,sent)"
                )
            }
            var infos: [CAPInfo] = []
            for entry in entries["info"] ?? [] {
                if let info = self.info(entry.element, at: entry.path) { infos.append(info) }
            }
            guard let identifier, let sender, let sent, let status, let messageType, let scope else { return nil }
            return CAPAlert(
                identifier: identifier, sender: sender, sent: sent, status: status, messageType: messageType,
                source: text(entries["source"]?.first), scope: scope, restriction: restriction, addresses: addresses,
                codes: (entries["code"] ?? []).compactMap { text($0) }, note: text(entries["note"]?.first),
                references: references, incidents: text(entries["incidents"]?.first), infos: infos)
        }

        mutating func values(_ entries: [(element: XMLElement, path: String)]?) -> [CAPValue] {
            (entries ?? []).compactMap { entry in
                let parts = children(of: entry.element, at: entry.path, [("valueName", 1, 1), ("value", 1, 1)])
                guard let name = text(parts["valueName"]?.first), let value = text(parts["value"]?.first) else {
                    return nil
                }
                return CAPValue(name: name, value: value)
            }
        }

        mutating func info(_ element: XMLElement, at path: String) -> CAPInfo? {
            let entries = children(
                of: element, at: path,
                [
                    ("language", 0, 1), ("category", 1, nil), ("event", 1, 1), ("responseType", 0, nil),
                    ("urgency", 1, 1), ("severity", 1, 1), ("certainty", 1, 1), ("audience", 0, 1),
                    ("eventCode", 0, nil), ("effective", 0, 1), ("onset", 0, 1), ("expires", 0, 1),
                    ("senderName", 0, 1), ("headline", 0, 1), ("description", 0, 1), ("instruction", 0, 1),
                    ("web", 0, 1), ("contact", 0, 1), ("parameter", 0, nil), ("resource", 0, nil), ("area", 0, nil),
                ])
            let language = text(entries["language"]?.first) ?? "en-US"
            if language.isEmpty || !language.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
                problem("\(path)/language", "\"\(language)\" is not a language tag such as mr-IN")
            }
            let categories = (entries["category"] ?? []).compactMap { enumerated($0, CAPInfo.Category.self) }
            let responseTypes = (entries["responseType"] ?? []).compactMap {
                enumerated($0, CAPInfo.ResponseType.self)
            }
            let event = required(entries, "event")
            let urgency = enumerated(entries["urgency"]?.first, CAPInfo.Urgency.self)
            let severity = enumerated(entries["severity"]?.first, CAPInfo.Severity.self)
            let certainty = enumerated(entries["certainty"]?.first, CAPInfo.Certainty.self)
            let effective = dateTime(entries["effective"]?.first)
            let onset = dateTime(entries["onset"]?.first)
            let expires = dateTime(entries["expires"]?.first)
            for entry in entries["resource"] ?? [] {
                _ = children(
                    of: entry.element, at: entry.path,
                    [
                        ("resourceDesc", 1, 1), ("mimeType", 1, 1), ("size", 0, 1), ("uri", 0, 1), ("derefUri", 0, 1),
                        ("digest", 0, 1),
                    ])
            }
            var areas: [CAPArea] = []
            for entry in entries["area"] ?? [] {
                if let area = self.area(entry.element, at: entry.path) { areas.append(area) }
            }
            guard let event, let urgency, let severity, let certainty, !categories.isEmpty else { return nil }
            return CAPInfo(
                language: language, categories: categories, event: event, responseTypes: responseTypes,
                urgency: urgency, severity: severity, certainty: certainty, audience: text(entries["audience"]?.first),
                eventCodes: values(entries["eventCode"]), effective: effective, onset: onset, expires: expires,
                senderName: text(entries["senderName"]?.first), headline: text(entries["headline"]?.first),
                description: text(entries["description"]?.first), instruction: text(entries["instruction"]?.first),
                web: text(entries["web"]?.first), contact: text(entries["contact"]?.first),
                parameters: values(entries["parameter"]), areas: areas)
        }

        mutating func point(_ pair: Substring, at path: String) -> CAPPoint? {
            let parts = pair.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 2, let latitude = Double(parts[0]), let longitude = Double(parts[1]),
                (-90...90).contains(latitude), (-180...180).contains(longitude)
            else {
                problem(path, "\"\(pair)\" is not a point latitude,longitude (WGS 84)")
                return nil
            }
            return CAPPoint(latitude: latitude, longitude: longitude)
        }

        mutating func area(_ element: XMLElement, at path: String) -> CAPArea? {
            let entries = children(
                of: element, at: path,
                [
                    ("areaDesc", 1, 1), ("polygon", 0, nil), ("circle", 0, nil), ("geocode", 0, nil),
                    ("altitude", 0, 1), ("ceiling", 0, 1),
                ])
            let description = required(entries, "areaDesc")
            var polygons: [[CAPPoint]] = []
            for entry in entries["polygon"] ?? [] {
                let pairs = (text(entry) ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" || $0.isNewline })
                let points = pairs.compactMap { point($0, at: entry.path) }
                guard points.count == pairs.count else { continue }
                if points.count < 4 || points.first != points.last {
                    problem(entry.path, "a polygon needs at least four points, the first and the last the same")
                } else {
                    polygons.append(points)
                }
            }
            var circles: [CAPCircle] = []
            for entry in entries["circle"] ?? [] {
                let parts = (text(entry) ?? "").split(separator: " ")
                guard parts.count == 2, let center = point(parts[0], at: entry.path) else {
                    if parts.count != 2 {
                        problem(entry.path, "a circle is \"latitude,longitude radius\" (radius in km)")
                    }
                    continue
                }
                guard let radius = Double(parts[1]), radius >= 0 else {
                    problem(entry.path, "\"\(parts[1])\" is not a radius in kilometres")
                    continue
                }
                circles.append(CAPCircle(center: center, radiusKilometres: radius))
            }
            guard let description else { return nil }
            return CAPArea(
                description: description, polygons: polygons, circles: circles, geocodes: values(entries["geocode"]))
        }
    }
}
