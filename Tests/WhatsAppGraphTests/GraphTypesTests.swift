import Foundation
import JobContracts
import TestSupport
import Testing
import WhatsAppGraph

@Suite("WhatsApp Graph types")
struct GraphTypesTests {
    @Test("every kind of message we build is valid against Meta's Message schema, and leaves absent fields out")
    func messagesMatchMetasSchema() throws {
        let template = GraphMessage.template(
            to: "+919800000001",
            GraphMessage.Template(
                name: "dakiya_outcome_rejected", language: "ur",
                components: [
                    .init(type: "header", parameters: [.document(GraphMessage.Media(id: "123", filename: "c.pdf"))]),
                    .init(
                        type: "body",
                        parameters: [.text("A1"), .text("آمدنی کا سرٹیفکیٹ"), .text("\"quoted\" \\ reason")]),
                    .init(type: "button", subType: "quick_reply", index: "0", parameters: [.payload("appeal:A1")]),
                ]), callbackData: "attempt:7")
        let messages = [
            template,
            .text(to: "+919800000001", "Hello\nworld"),
            .interactive(
                to: "+919800000001",
                .list(body: "How can we help?", button: "Menu", section: "Menu", rows: [("menu:track", "Track")])),
            .interactive(to: "+919800000001", .buttons(body: "File it?", [("appeal:confirm", "File appeal")])),
            .document(to: "+919800000001", GraphMessage.Media(id: "123", filename: "income-certificate.pdf")),
        ]
        let documents = try messages.map { try $0.json() }
        #expect(try GraphOpenAPI.check(documents, schema: "Message") == Array(repeating: "ok", count: messages.count))
        let json = try template.json()
        #expect(!json.contains("null"), "absent fields are left out, not null: \(json)")
        #expect(json.contains("\"biz_opaque_callback_data\":\"attempt:7\""))
        let decoded = try JSONDecoder().decode(GraphMessage.self, from: Data(json.utf8))
        #expect(decoded == template, "what we send reads back the same")
        #expect(
            try GraphMessage.text(to: "+91", String(repeating: "x", count: 5000)).text?.body.count == 4096,
            "a text is cut to Meta's 4,096 characters")
    }

    @Test("a webhook decodes statuses and messages; a malformed element is skipped alone; a message is kept whole")
    func webhook() throws {
        let body = #"""
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
              {"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"555"},
                "statuses":[{"id":"wamid.A","status":"failed","timestamp":"1","recipient_id":"91","errors":[{"code":131026,"title":"x"}],
                             "biz_opaque_callback_data":"attempt:9"},
                            {"status":"read"},
                            {"id":"wamid.B","status":"read","timestamp":"2","recipient_id":"91"}],
                "messages":[{"from":"919800000001","id":"wamid.M","timestamp":"3","type":"image","image":{"id":"img1","mime_type":"image/jpeg"}},
                            {"from":"919800000001","id":"wamid.N","timestamp":"4","type":"interactive",
                             "interactive":{"type":"list_reply","list_reply":{"id":"menu:track","title":"Track"}}},
                            {"id":"no-from"}]}},
              {"field":"message_template_status_update","value":{"event":"APPROVED"}}]}]}
            """#
        let webhook = try #require(GraphWebhook.parse(Array(body.utf8)))
        let changes = webhook.entry.flatMap(\.changes)
        #expect(changes.map(\.field) == ["messages", "message_template_status_update"])
        let value = try #require(changes.first?.value)
        #expect(value.metadata?.phoneNumberID == "555")
        #expect(value.statuses.map(\.id) == ["wamid.A", "wamid.B"], "the status without an id is skipped alone")
        #expect(value.statuses.first?.errors?.first?.code == 131026)
        #expect(value.statuses.first?.bizOpaqueCallbackData == "attempt:9")
        #expect(value.messages.map(\.id) == ["wamid.M", "wamid.N"])
        #expect(
            value.messages[0].raw.json().contains("\"mime_type\":\"image/jpeg\""), "fields we do not model are kept")
        #expect(value.messages[1].choice == "menu:track")
        #expect(GraphWebhook.parse(Array("not json".utf8)) == nil)
    }

    @Test("a conversation reply queued in the old form (interactive as JSON text) still decodes")
    func oldReplyPayload() throws {
        let old =
            #"{"to":"+919800000001","text":"Menu","interactive":"{\"type\":\"list\",\"body\":{\"text\":\"Menu\"},\"action\":{\"button\":\"Menu\",\"sections\":[{\"title\":\"Menu\",\"rows\":[{\"id\":\"menu:help\",\"title\":\"Help\"}]}]}}"}"#
        let reply = try JSONDecoder().decode(ConversationReply.self, from: Data(old.utf8))
        #expect(reply.interactive?.action.sections?.first?.rows.map(\.id) == ["menu:help"])
        let again = try JSONDecoder().decode(ConversationReply.self, from: try JSONEncoder().encode(reply))
        #expect(again == reply)
    }
}
