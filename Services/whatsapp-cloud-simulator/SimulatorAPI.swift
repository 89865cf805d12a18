import Cryptography
import Foundation
import HTTPServer
import ServiceRuntime

/// The Graph API subset Dakiya uses, plus `/_sim/…` control routes for tests and demos.
struct SimulatorAPI: Sendable {
    let simulator: Simulator

    func makeRouter() -> Router {
        var router = Router()
        // For a container's healthcheck: the simulator is up and answering.
        router.get("/healthz") { _ in Response.text("ok") }
        router.get("/_sim/messages") { _ in try Response.json(simulator.acceptedMessages) }
        router.get("/_sim/stats") { _ in try Response.json(simulator.stats) }
        router.post("/_sim/inbound") { request in
            // A citizen writes: their window opens, and (with a webhook URL) the message is delivered to it.
            // text: a typed message; reply_id (+ reply_title, reply_kind button_reply or list_reply): a tap on our interactive
            // message; button_payload (+ button_text): a tap on a template's quick-reply button.
            struct Inbound: Decodable {
                var from: String; var text: String?; var name: String?; var phone_number_id: String?
                var reply_id: String?; var reply_title: String?; var reply_kind: String?; var reply_description: String?
                var button_payload: String?; var button_text: String?
                /// A file the citizen sends: its bytes (base64), type, kind (document or image; audio, video, sticker
                /// too), name and caption.
                var media_base64: String?; var media_type: String?; var media_kind: String?; var filename: String?
                var caption: String?
                /// A WhatsApp Flow the citizen finished: its data, as JSON text with the flow_token.
                var flow_response_json: String?
            }
            let inbound = try request.decodeJSON(Inbound.self)
            simulator.recordInbound(from: inbound.from)
            let content: String
            if let text = inbound.text {
                content = "\"type\":\"text\",\"text\":{\"body\":\(JSONText.quoted(text))}"
            } else if let id = inbound.reply_id {
                // A reply names the message it answers (context), as Meta's webhooks do; list replies carry the row's description.
                let kind = inbound.reply_kind == "list_reply" ? "list_reply" : "button_reply"
                let description =
                    kind == "list_reply" ? ",\"description\":\(JSONText.quoted(inbound.reply_description ?? ""))" : ""
                content =
                    context(for: inbound.from)
                    + "\"type\":\"interactive\",\"interactive\":{\"type\":\"\(kind)\",\"\(kind)\":{\"id\":\(JSONText.quoted(id)),"
                    + "\"title\":\(JSONText.quoted(inbound.reply_title ?? id))\(description)}}"
            } else if let payload = inbound.button_payload {
                content =
                    context(for: inbound.from)
                    + "\"type\":\"button\",\"button\":{\"payload\":\(JSONText.quoted(payload)),\"text\":\(JSONText.quoted(inbound.button_text ?? payload))}"
            } else if let flow = inbound.flow_response_json {
                content =
                    context(for: inbound.from)
                    + "\"type\":\"interactive\",\"interactive\":{\"type\":\"nfm_reply\",\"nfm_reply\":{\"name\":\"flow\",\"body\":\"Sent\",\"response_json\":\(JSONText.quoted(flow))}}"
            } else if let encoded = inbound.media_base64 {
                // The citizen's file becomes Graph media (fetched by id, then by its URL, as from Meta) and the
                // message carries its id, type, SHA-256 and, for a document, its name.
                guard let bytes = Data(base64Encoded: encoded).map(Array.init), !bytes.isEmpty else {
                    return Response(
                        status: 400, body: Array("media_base64 is not base64".utf8), contentType: "text/plain")
                }
                let kind = inbound.media_kind ?? "document"
                guard ["document", "image", "audio", "video", "sticker"].contains(kind) else {
                    return Response(
                        status: 400, body: Array("media_kind is not a media type".utf8), contentType: "text/plain")
                }
                let mimeType = inbound.media_type ?? "application/octet-stream"
                let id = simulator.receive(
                    mimeType: mimeType, bytes: bytes,
                    phoneNumberID: inbound.phone_number_id ?? simulator.configuration.phoneNumberIDs.sorted().first
                        ?? "")
                var object =
                    "\"mime_type\":\(JSONText.quoted(mimeType)),\"sha256\":\(JSONText.quoted(Data(SHA256.hash(bytes)).base64EncodedString())),\"id\":\(JSONText.quoted(id))"
                if kind == "document" { object += ",\"filename\":\(JSONText.quoted(inbound.filename ?? "file"))" }
                if let caption = inbound.caption, kind != "audio", kind != "sticker" {
                    object += ",\"caption\":\(JSONText.quoted(caption))"
                }
                content = "\"type\":\"\(kind)\",\"\(kind)\":{\(object)}"
            } else {
                return Response(status: 204)
            }
            let wamid = simulator.webhooks.scheduleInbound(
                from: Simulator.digits(inbound.from), name: inbound.name ?? "Citizen", content: content,
                phoneNumberID: inbound.phone_number_id ?? simulator.configuration.phoneNumberIDs.sorted().first ?? "")
            return Response(
                status: 202, body: Array("{\"id\":\(JSONText.quoted(wamid))}".utf8), contentType: "application/json")
        }
        router.post("/_sim/templates/{name}") { request in
            // Meta's review of a template: {"status": "PAUSED"} or {"quality": "GREEN"} (see `Simulator.review`).
            struct Review: Decodable { var status: String?; var quality: String? }
            let review = try request.decodeJSON(Review.self)
            return graph {
                try simulator.review(
                    template: try request.parameter("name"), status: review.status, quality: review.quality)
                return Response(status: 204)
            }
        }
        router.get("/_sim/media/{mediaId}/download") { request in
            graph {
                try simulator.authorize(request)
                guard let media = simulator.media(try request.parameter("mediaId")) else {
                    throw GraphError(
                        httpStatus: 404, code: 100, message: "Invalid parameter", details: "media not found")
                }
                return Response(status: 200, body: media.bytes, contentType: media.mimeType)
            }
        }
        router.post("/{version}/{phoneNumberId}/messages") { request in
            if let fault = fault() { return fault }
            return graph {
                try simulator.authorize(request)
                let sender = try request.parameter("phoneNumberId")
                try simulator.senderExists(sender)
                let sent = try simulator.send(phoneNumberID: sender, body: request.body)
                let body =
                    "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\(JSONText.quoted(sent.to)),\"wa_id\":\(JSONText.quoted(sent.waID))}],"
                    + "\"messages\":[{\"id\":\(JSONText.quoted(sent.wamid)),\"message_status\":\"\(sent.status)\"}]}"
                return Response(status: 200, body: Array(body.utf8), contentType: "application/json")
            }
        }
        router.post("/{version}/{phoneNumberId}/media") { request in
            graph {
                try simulator.authorize(request)
                let sender = try request.parameter("phoneNumberId")
                try simulator.senderExists(sender)
                let parts = try MultipartForm.parse(request.body, contentType: request.header("content-type") ?? "")
                guard
                    parts.first(where: { $0.name == "messaging_product" }).map({
                        String(decoding: $0.body, as: UTF8.self)
                    }) == "whatsapp"
                else {
                    throw GraphError.invalidParameter("messaging_product must be whatsapp")
                }
                guard let file = parts.first(where: { $0.name == "file" }) else {
                    throw GraphError.invalidParameter("The parameter file is required.")
                }
                let declared = parts.first { $0.name == "type" }.map { String(decoding: $0.body, as: UTF8.self) }
                let mimeType = declared ?? file.contentType ?? "application/octet-stream"
                let id = try simulator.upload(phoneNumberID: sender, mimeType: mimeType, bytes: file.body)
                return Response(
                    status: 200, body: Array("{\"id\":\(JSONText.quoted(id))}".utf8), contentType: "application/json")
            }
        }
        router.get("/{version}/{mediaId}") { request in
            graph {
                try simulator.authorize(request)
                let id = try request.parameter("mediaId")
                guard let media = simulator.media(id) else {
                    throw GraphError(
                        httpStatus: 404, code: 100, message: "Invalid parameter",
                        details: "Unsupported get request. Object with ID '\(id)' does not exist")
                }
                let url = simulator.configuration.publicBaseURL + "/_sim/media/\(id)/download"
                let body =
                    "{\"messaging_product\":\"whatsapp\",\"url\":\(JSONText.quoted(url)),\"mime_type\":\(JSONText.quoted(media.mimeType)),"
                    + "\"sha256\":\"\(media.sha256)\",\"file_size\":\(media.bytes.count),\"id\":\(JSONText.quoted(id))}"
                return Response(status: 200, body: Array(body.utf8), contentType: "application/json")
            }
        }
        return router
    }

    /// The `context` of a reply: the last message sent to this citizen, from our display number.
    private func context(for citizen: String) -> String {
        let number = Simulator.digits(citizen)
        let last = simulator.acceptedMessages.last { Simulator.digits($0.to) == number }?.id ?? "wamid.unknown"
        return "\"context\":{\"from\":\"912000000000\",\"id\":\(JSONText.quoted(last))},"
    }

    /// A configured fault for this request, if one is drawn.
    private func fault() -> Response? {
        let configuration = simulator.configuration
        if configuration.latency > 0 { usleep(UInt32(configuration.latency * 1_000_000)) }
        let draw = Double.random(in: 0..<1)
        if draw < configuration.dropRate { return .dropConnection }
        if draw < configuration.dropRate + configuration.errorRate {
            return GraphError(httpStatus: 500, code: 131000, message: "Something went wrong", details: "injected fault")
                .response
        }
        if draw < configuration.dropRate + configuration.errorRate + configuration.timeoutRate {
            usleep(30_000_000)
            return GraphError(
                httpStatus: 504, code: 131000, message: "Something went wrong", details: "injected timeout"
            ).response
        }
        return nil
    }

    /// Runs a Graph handler; Meta's errors become Meta's error objects (not problem+json).
    private func graph(_ body: () throws -> Response) -> Response {
        do { return try body() } catch let error as GraphError { return error.response } catch let error as HTTPError {
            return GraphError.invalidParameter(error.detail ?? error.title).response
        } catch {
            return GraphError(
                httpStatus: 500, code: 131000, message: "Something went wrong", details: "simulator error"
            ).response
        }
    }
}
