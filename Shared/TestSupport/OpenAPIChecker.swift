import Foundation
import WhatsAppGraph

/// Checks JSON responses against an OpenAPI 3.1 document: the schema for a path, method, status and media
/// type, with `$ref`, `type` (including type lists), `required`, `properties`, `items`, `enum`, `minLength`,
/// `maxLength` and the `uuid` and `date-time` formats. Enough to catch a response that drifts from the document.
package struct OpenAPIChecker {
    let document: [String: Any]

    package init(data: Data) throws {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestEnvironmentError(message: "the OpenAPI document is not a JSON object")
        }
        document = object
    }

    /// Problems with `body` as the `status` response of `method` `path` (a template such as /v1/deliveries/{id}); empty when it conforms.
    package func problems(path: String, method: String, status: Int, contentType: String?, body: [UInt8]) -> [String] {
        guard let paths = document["paths"] as? [String: Any], let item = paths[path] as? [String: Any],
            let operation = item[method.lowercased()] as? [String: Any]
        else { return ["\(method) \(path) is not in the document"] }
        guard let responses = operation["responses"] as? [String: Any],
            var response = responses[String(status)] as? [String: Any]
        else {
            return ["\(method) \(path) does not document status \(status)"]
        }
        if let ref = response["$ref"] as? String, let resolved = resolve(ref) { response = resolved }
        let mediaType =
            (contentType ?? "").split(separator: ";").first.map { String($0).trimmingCharacters(in: .whitespaces) }
            ?? ""
        guard let content = response["content"] as? [String: Any] else {
            return body.isEmpty ? [] : ["status \(status) documents no body"]
        }
        guard let media = content[mediaType] as? [String: Any], let schema = media["schema"] as? [String: Any] else {
            return ["status \(status) does not document \(mediaType)"]
        }
        if !mediaType.hasSuffix("json") { return [] }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) else {
            return ["the body is not JSON"]
        }
        return check(value, against: schema, at: "$")
    }

    func resolve(_ ref: String) -> [String: Any]? {
        var node: Any = document
        for key in ref.dropFirst(2).split(separator: "/") {
            guard let object = node as? [String: Any], let next = object[String(key)] else { return nil }
            node = next
        }
        return node as? [String: Any]
    }

    func check(_ value: JSONValue, against schema: [String: Any], at path: String) -> [String] {
        if let ref = schema["$ref"] as? String {
            guard let resolved = resolve(ref) else { return ["\(path): unresolved \(ref)"] }
            return check(value, against: resolved, at: path)
        }
        var problems: [String] = []
        let types: [String] = (schema["type"] as? String).map { [$0] } ?? (schema["type"] as? [String]) ?? []
        if !types.isEmpty && !types.contains(where: value.matches) {
            return ["\(path): expected \(types.joined(separator: " or ")), got \(value.kind)"]
        }
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { "\($0)" == value.text }) {
            problems.append("\(path): \(value.text) is not one of \(allowed)")
        }
        switch value {
        case .string(let text):
            if let minimum = schema["minLength"] as? Int, text.count < minimum {
                problems.append("\(path): shorter than \(minimum)")
            }
            if let maximum = schema["maxLength"] as? Int, text.count > maximum {
                problems.append("\(path): longer than \(maximum)")
            }
            switch schema["format"] as? String {
            case "uuid"?: if UUID(uuidString: text) == nil { problems.append("\(path): not a uuid") }
            case "date-time"?:
                if ISO8601DateFormatter().date(from: text) == nil {
                    problems.append("\(path): not an RFC 3339 date-time")
                }
            default: break
            }
        case .object(let object):
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                problems.append("\(path).\(key): required but missing")
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, member) in object.sorted(by: { $0.key < $1.key }) {
                if let memberSchema = properties[key] as? [String: Any] {
                    problems += check(member, against: memberSchema, at: "\(path).\(key)")
                } else if !properties.isEmpty {
                    problems.append("\(path).\(key): not in the document")
                }
            }
        case .array(let array):
            if let items = schema["items"] as? [String: Any] {
                for (index, element) in array.enumerated() {
                    problems += check(element, against: items, at: "\(path)[\(index)]")
                }
            }
        default:
            break
        }
        return problems
    }
}

/// The schema checks over a parsed JSON value (the one type `WhatsAppGraph` declares, which keeps booleans and
/// numbers apart).
extension JSONValue {
    func matches(_ type: String) -> Bool {
        switch (type, self) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
            ("number", .number):
            true
        case ("integer", .number(let value)): value == value.rounded()
        default: false
        }
    }

    var kind: String {
        switch self {
        case .object: "object"
        case .array: "array"
        case .string: "string"
        case .number: "number"
        case .bool: "boolean"
        case .null: "null"
        }
    }

    var text: String {
        switch self {
        case .string(let value): value
        case .number(let value): value == value.rounded() ? String(Int(value)) : String(value)
        case .bool(let value): String(value)
        default: kind
        }
    }
}
