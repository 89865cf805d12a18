import Foundation

/// A message we send to the Cloud API (`POST /{phone-number-id}/messages`), shaped like Meta's OpenAPI schema
/// (../shared/reference/whatsapp-business-messaging-api_v23.0.yaml): one Codable type instead of JSON built by
/// hand. Absent fields are left out of the JSON.
package struct GraphMessage: Codable, Sendable, Equatable {
    /// The message types we send.
    package enum Kind: String, Codable, Sendable { case text, template, interactive, document }

    package var messagingProduct = "whatsapp"
    package var recipientType = "individual"
    /// The citizen's number in +E.164.
    package var to: String
    package var type: Kind
    package var text: Text?
    package var template: Template?
    package var interactive: Interactive?
    package var document: Media?
    /// Returned on every status webhook of this message (we send `attempt:<id>`).
    package var bizOpaqueCallbackData: String?

    enum CodingKeys: String, CodingKey {
        case messagingProduct = "messaging_product", recipientType = "recipient_type", to, type, text, template,
            interactive, document, bizOpaqueCallbackData = "biz_opaque_callback_data"
    }

    /// A text body (links are not previewed).
    package struct Text: Codable, Sendable, Equatable {
        package var previewURL = false
        package var body: String
        enum CodingKeys: String, CodingKey { case previewURL = "preview_url", body }
    }

    /// A media object by id (uploaded) with the file name the citizen sees.
    package struct Media: Codable, Sendable, Equatable {
        package var id: String
        package var filename: String?
        /// Uploaded media `id`, shown as `filename`.
        package init(id: String, filename: String? = nil) {
            self.id = id
            self.filename = filename
        }
    }

    /// An approved template by name and language, with its components' parameters.
    package struct Template: Codable, Sendable, Equatable {
        /// The template's language; `deterministic` is the only policy Meta accepts.
        package struct Language: Codable, Sendable, Equatable {
            package var policy = "deterministic"
            package var code: String
        }
        /// The parameters of one part of the template.
        package struct Component: Codable, Sendable, Equatable {
            /// header, body or button.
            package var type: String
            /// For a button: quick_reply.
            package var subType: String?
            /// For a button: its position, as a string.
            package var index: String?
            package var parameters: [Parameter]
            enum CodingKeys: String, CodingKey { case type, subType = "sub_type", index, parameters }

            /// A component of `type` (header, body, button); a button has its `subType` and `index`.
            package init(type: String, subType: String? = nil, index: String? = nil, parameters: [Parameter]) {
                self.type = type
                self.subType = subType
                self.index = index
                self.parameters = parameters
            }

            /// The quick-reply button at `index` (from 0), carrying `payload` back when the citizen taps it.
            package static func quickReply(index: Int, payload: String) -> Component {
                Component(type: "button", subType: "quick_reply", index: String(index), parameters: [.payload(payload)])
            }
        }
        /// One parameter: a text, a document or a button payload.
        package struct Parameter: Codable, Sendable, Equatable {
            /// text, document or payload.
            package var type: String
            package var text: String?
            package var document: Media?
            package var payload: String?

            /// A text parameter.
            package static func text(_ text: String) -> Parameter { Parameter(type: "text", text: text) }
            /// A document parameter (a header).
            package static func document(_ media: Media) -> Parameter { Parameter(type: "document", document: media) }
            /// A quick-reply button's payload (it comes back when the citizen taps it).
            package static func payload(_ payload: String) -> Parameter { Parameter(type: "payload", payload: payload) }
        }

        package var name: String
        package var language: Language
        package var components: [Component]

        /// Template `name` in `language` with `components`.
        package init(name: String, language: String, components: [Component]) {
            self.name = name
            self.language = Language(code: language)
            self.components = components
        }
    }

    /// A list or reply-button message inside the citizen's open window.
    package struct Interactive: Codable, Sendable, Equatable {
        /// The message text above the list or buttons.
        package struct Body: Codable, Sendable, Equatable { package var text: String }
        /// A list row: our id, its title and (optionally) the line under it.
        package struct Row: Codable, Sendable, Equatable {
            package var id: String
            package var title: String
            package var description: String?
        }
        /// A titled group of rows.
        package struct Section: Codable, Sendable, Equatable {
            package var title: String?
            package var rows: [Row]
        }
        /// A reply button.
        package struct ReplyButton: Codable, Sendable, Equatable {
            /// Our id and the button's title.
            package struct Reply: Codable, Sendable, Equatable {
                package var id: String
                package var title: String
            }
            package var type = "reply"
            package var reply: Reply
        }
        /// What opens a WhatsApp Flow: its id, the button's text, and our token for the answers it sends back.
        package struct FlowParameters: Codable, Sendable, Equatable {
            package var flowMessageVersion = "3"
            package var flowID: String
            package var flowCTA: String
            package var flowToken: String
            package var flowAction = "navigate"
            enum CodingKeys: String, CodingKey {
                case flowMessageVersion = "flow_message_version", flowID = "flow_id", flowCTA = "flow_cta"
                case flowToken = "flow_token", flowAction = "flow_action"
            }
        }
        /// A list (its button and sections), reply buttons, or a Flow (`name` "flow" and its parameters).
        package struct Action: Codable, Sendable, Equatable {
            package var button: String?
            package var sections: [Section]?
            package var buttons: [ReplyButton]?
            package var name: String?
            package var parameters: FlowParameters?
        }

        /// list, button or flow.
        package var type: String
        package var body: Body
        package var action: Action

        /// A list: `button` opens it; titles are cut to Meta's limits (button 20, section and row titles 24).
        package static func list(body: String, button: String, section: String, rows: [(id: String, title: String)])
            -> Interactive
        {
            list(body: body, button: button, section: section, rows: rows.map { ($0.id, $0.title, nil) })
        }

        /// A list whose rows may carry a description under the title (cut to Meta's 72 characters).
        package static func list(
            body: String, button: String, section: String, rows: [(id: String, title: String, description: String?)]
        ) -> Interactive {
            Interactive(
                type: "list", body: Body(text: cut(body, to: 4096)),
                action: Action(
                    button: cut(button, to: 20),
                    sections: [
                        Section(
                            title: cut(section, to: 24),
                            rows: rows.map {
                                Row(
                                    id: $0.id, title: cut($0.title, to: 24),
                                    description: $0.description.map { cut($0, to: 72) })
                            })
                    ]))
        }

        /// A message with a button that opens the WhatsApp Flow `flowID` (button text cut to Meta's 30 characters).
        package static func flow(body: String, flowID: String, button: String, token: String) -> Interactive {
            Interactive(
                type: "flow", body: Body(text: cut(body, to: 1024)),
                action: Action(
                    name: "flow",
                    parameters: FlowParameters(flowID: flowID, flowCTA: cut(button, to: 30), flowToken: token)))
        }

        /// `text` within `limit` characters as Meta counts them (Unicode code points), never splitting a letter from
        /// its vowel signs: whole grapheme clusters are kept and a cut text ends with "…".
        package static func cut(_ text: String, to limit: Int) -> String {
            guard text.unicodeScalars.count > limit else { return text }
            var kept = ""
            var count = 0
            for character in text {
                let size = character.unicodeScalars.count
                if count + size > limit - 1 { break }
                kept.append(character)
                count += size
            }
            return kept.trimmingCharacters(in: .whitespaces) + "…"
        }

        /// Up to three reply buttons (titles cut to Meta's 20).
        package static func buttons(body: String, _ buttons: [(id: String, title: String)]) -> Interactive {
            Interactive(
                type: "button", body: Body(text: body),
                action: Action(
                    buttons: buttons.map {
                        ReplyButton(reply: ReplyButton.Reply(id: $0.id, title: cut($0.title, to: 20)))
                    }))
        }
    }

    /// A text message (cut to Meta's 4,096 characters).
    package static func text(to: String, _ body: String) -> GraphMessage {
        GraphMessage(to: to, type: .text, text: Text(body: String(body.prefix(4096))))
    }

    /// An interactive (list or buttons) message.
    package static func interactive(to: String, _ interactive: Interactive) -> GraphMessage {
        GraphMessage(to: to, type: .interactive, interactive: interactive)
    }

    /// A document message.
    package static func document(to: String, _ media: Media) -> GraphMessage {
        GraphMessage(to: to, type: .document, document: media)
    }

    /// A template message; `callbackData` comes back on its status webhooks.
    package static func template(to: String, _ template: Template, callbackData: String? = nil) -> GraphMessage {
        GraphMessage(to: to, type: .template, template: template, bizOpaqueCallbackData: callbackData)
    }

    /// The request body.
    /// - Throws: `EncodingError` when a value cannot be encoded.
    package func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
