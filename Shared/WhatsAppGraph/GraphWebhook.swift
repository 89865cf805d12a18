import Foundation

/// A webhook notification from the Cloud API, shaped like Meta's schema: the parts we act on (statuses and inbound
/// messages of the `messages` field), each inbound message also kept whole (`raw`). A malformed element is skipped
/// alone (the rest of the batch still counts), and fields we do not use are ignored.
package struct GraphWebhook: Decodable, Sendable {
    package var object: String?
    package var entry: [Entry]

    enum CodingKeys: String, CodingKey { case object, entry }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        object = try? container.decodeIfPresent(String.self, forKey: .object)
        entry = (try? container.decodeIfPresent(Lossy<Entry>.self, forKey: .entry))?.elements ?? []
    }

    /// Parses a body; nil when it is not a JSON object at all.
    package static func parse(_ body: [UInt8]) -> GraphWebhook? {
        try? JSONDecoder().decode(GraphWebhook.self, from: Data(body))
    }

    /// One business account's changes.
    package struct Entry: Decodable, Sendable {
        package var changes: [Change]
        enum CodingKeys: String, CodingKey { case changes }
        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            changes = (try? container.decodeIfPresent(Lossy<Change>.self, forKey: .changes))?.elements ?? []
        }
    }

    /// One change: its field and value.
    package struct Change: Decodable, Sendable {
        /// `messages` for statuses and inbound messages; other fields (template updates, account alerts) are not ours.
        package var field: String
        package var value: Value?
    }

    /// A `messages` change: the number it concerns, statuses and inbound messages.
    package struct Value: Decodable, Sendable {
        /// The business number the change concerns.
        package struct Metadata: Decodable, Sendable {
            package var phoneNumberID: String?
            enum CodingKeys: String, CodingKey { case phoneNumberID = "phone_number_id" }
        }
        package var metadata: Metadata?
        package var statuses: [Status]
        package var messages: [InboundMessage]
        /// A template change (`message_template_status_update`, `message_template_quality_update`): the template's
        /// name and language, its new status (`event`) and reason, or its new quality score.
        package var templateName: String?
        package var templateLanguage: String?
        package var event: String?
        package var reason: String?
        package var newQualityScore: String?

        enum CodingKeys: String, CodingKey {
            case metadata, statuses, messages, event, reason
            case templateName = "message_template_name", templateLanguage = "message_template_language"
            case newQualityScore = "new_quality_score"
        }
        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            templateName = try? container.decodeIfPresent(String.self, forKey: .templateName)
            templateLanguage = try? container.decodeIfPresent(String.self, forKey: .templateLanguage)
            event = try? container.decodeIfPresent(String.self, forKey: .event)
            reason = try? container.decodeIfPresent(String.self, forKey: .reason)
            newQualityScore = try? container.decodeIfPresent(String.self, forKey: .newQualityScore)
            metadata = try? container.decodeIfPresent(Metadata.self, forKey: .metadata)
            statuses = (try? container.decodeIfPresent(Lossy<Status>.self, forKey: .statuses))?.elements ?? []
            messages = (try? container.decodeIfPresent(Lossy<InboundMessage>.self, forKey: .messages))?.elements ?? []
        }
    }

    /// A message's status: sent, delivered, read or failed (with its errors).
    package struct Status: Decodable, Sendable {
        /// One of a failed status's errors: Meta's code.
        package struct ErrorObject: Decodable, Sendable { package var code: Int }
        /// The wamid.
        package var id: String
        package var status: String
        package var errors: [ErrorObject]?
        package var bizOpaqueCallbackData: String?
        enum CodingKeys: String, CodingKey {
            case id, status, errors, bizOpaqueCallbackData = "biz_opaque_callback_data"
        }
    }

    /// A message from a citizen.
    package struct InboundMessage: Decodable, Sendable {
        /// A text message's body.
        package struct Text: Decodable, Sendable { package var body: String }
        /// A tapped list row or reply button: our id and its title.
        package struct Reply: Decodable, Sendable {
            package var id: String
            package var title: String?
        }
        /// A WhatsApp Flow the citizen finished: its data as JSON text (`response_json`, with our `flow_token`).
        package struct FlowReply: Decodable, Sendable {
            package var name: String?
            package var body: String?
            package var responseJSON: String
            enum CodingKeys: String, CodingKey { case name, body, responseJSON = "response_json" }
        }
        /// A reply to a list or buttons, or a finished Flow.
        package struct Interactive: Decodable, Sendable {
            package var type: String?
            package var listReply: Reply?
            package var buttonReply: Reply?
            package var flowReply: FlowReply?
            enum CodingKeys: String, CodingKey {
                case type, listReply = "list_reply", buttonReply = "button_reply", flowReply = "nfm_reply"
            }
        }
        /// A template's quick-reply button: the payload we set on it.
        package struct Button: Decodable, Sendable {
            package var payload: String?
            package var text: String?
        }

        /// A photo, document, audio, video or sticker the citizen sent: Graph media to fetch by id.
        package struct Media: Decodable, Sendable {
            package var id: String
            package var mimeType: String?
            package var sha256: String?
            package var filename: String?
            package var caption: String?
            enum CodingKeys: String, CodingKey { case id, mimeType = "mime_type", sha256, filename, caption }
        }

        /// The wamid.
        package var id: String
        /// The citizen's number, digits only, as Meta sends it.
        package var from: String
        package var type: String?
        package var text: Text?
        package var interactive: Interactive?
        package var button: Button?
        /// The media of a message of type image, document, audio, video or sticker.
        package var media: Media?
        /// The message as Meta sent it, every field, kept as received.
        package var raw: JSONValue

        enum CodingKeys: String, CodingKey { case id, from, type, text, interactive, button }
        struct MediaKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            from = try container.decode(String.self, forKey: .from)
            type = try? container.decodeIfPresent(String.self, forKey: .type)
            text = try? container.decodeIfPresent(Text.self, forKey: .text)
            interactive = try? container.decodeIfPresent(Interactive.self, forKey: .interactive)
            button = try? container.decodeIfPresent(Button.self, forKey: .button)
            if let type, ["image", "document", "audio", "video", "sticker"].contains(type) {
                let nested = try decoder.container(keyedBy: MediaKey.self)
                media = try? nested.decodeIfPresent(Media.self, forKey: MediaKey(stringValue: type)!)
            }
            raw = try JSONValue(from: decoder)
        }

        /// The id of the list row or reply button the citizen tapped, or the payload of a template's button.
        package var choice: String? {
            (interactive?.listReply ?? interactive?.buttonReply)?.id ?? button?.payload
        }
    }
}

/// Any JSON value, kept as received.
package enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The value as JSON text.
    package func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}

/// An array whose malformed elements are skipped, each alone.
struct Lossy<Element: Decodable>: Decodable {
    var elements: [Element] = []

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        while !container.isAtEnd {
            if let element = try? container.decode(Element.self) {
                elements.append(element)
            } else {
                _ = try? container.decode(JSONValue.self)  // step over it
            }
        }
    }
}
