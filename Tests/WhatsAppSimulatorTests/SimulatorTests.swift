import Foundation
import HTTPClient
import HTTPServer
import ServiceRuntime
import Synchronization
import Testing
@testable import WhatsAppCloudSimulator

/// A simulator on 127.0.0.1 with a clock the test moves.
final class RunningSimulator: @unchecked Sendable {
    /// Seconds on the simulator's clock, moved by the test.
    final class Clock: Sendable {
        let seconds = Mutex<Double>(1_000_000)
    }

    let server: Server
    let simulator: Simulator
    let clock = Clock()
    let client: HTTPClient
    var base: String { "http://127.0.0.1:\(server.port)" }
    static let sender = "100000000000001"

    init(mps: Double = 80, notOnWhatsApp: Set<String> = [], messagingLimit: Int? = nil, keepMessages: Int = 100_000)
        throws
    {
        var configuration = SimulatorConfiguration()
        configuration.keepMessages = keepMessages
        configuration.messagesPerSecond = mps
        configuration.messagingLimit = messagingLimit
        configuration.notOnWhatsApp = notOnWhatsApp
        let clock = self.clock
        let simulator = Simulator(configuration: configuration, now: { clock.seconds.withLock { $0 } })
        self.simulator = simulator
        server = Server(
            configuration: ServerConfiguration(port: 0, threads: 4),
            router: SimulatorAPI(simulator: simulator).makeRouter(),
            logger: Logger(service: "sim", sink: .capturing()), metrics: MetricsRegistry())
        try server.start()
        client = try HTTPClient()
    }

    deinit { server.stop() }

    func advance(_ seconds: Double) { clock.seconds.withLock { $0 += seconds } }

    func send(_ json: String, token: String = "dev-token") throws -> HTTPClientResponse {
        try client.send(
            .json(
                "POST", base + "/v23.0/\(Self.sender)/messages", body: json,
                headers: [("Authorization", "Bearer \(token)")]))
    }

    func upload(_ bytes: [UInt8], type: String) throws -> HTTPClientResponse {
        try client.send(
            HTTPClientRequest(
                method: "POST", url: base + "/v23.0/\(Self.sender)/media",
                headers: [("Authorization", "Bearer dev-token")],
                body: .multipart([
                    MultipartPart(name: "messaging_product", value: "whatsapp"),
                    MultipartPart(name: "type", value: type),
                    MultipartPart(name: "file", data: bytes, filename: "f", contentType: type),
                ])))
    }

    static func template(
        _ name: String = "dakiya_outcome_approved", language: String = "mr", body: [String] = ["MH-1", "Income"],
        header: String? = nil,
        to: String = "+919800000001"
    ) -> String {
        var components: [String] = []
        if let header {
            components.append(
                #"{"type": "header", "parameters": [{"type": "document", "document": {"id": "\#(header)", "filename": "c.pdf"}}]}"#
            )
        }
        components.append(
            #"{"type": "body", "parameters": [\#(body.map { #"{"type": "text", "text": "\#($0)"}"# }.joined(separator: ","))]}"#
        )
        return
            #"{"messaging_product": "whatsapp", "to": "\#(to)", "type": "template", "template": {"name": "\#(name)", "language": {"code": "\#(language)"}, "components": [\#(components.joined(separator: ","))]}}"#
    }

    static func text(to: String = "+919800000001") -> String {
        #"{"messaging_product": "whatsapp", "to": "\#(to)", "type": "text", "text": {"body": "hello"}}"#
    }
}

struct GraphErrorBody: Decodable {
    struct Inner: Decodable { var message: String; var type: String; var code: Int; var fbtrace_id: String }
    var error: Inner
}

func graphError(_ response: HTTPClientResponse) throws -> Int {
    try JSONDecoder().decode(GraphErrorBody.self, from: Data(response.body)).error.code
}

@Suite("WhatsApp Cloud API simulator")
struct SimulatorTests {
    @Test(
        "a certificate template with an uploaded PDF header is accepted in Meta's response shape; the media round-trips"
    )
    func certificateTemplate() throws {
        let sim = try RunningSimulator()
        let pdf = Array("%PDF-1.4\n".utf8) + (0..<5000).map { UInt8($0 % 256) }
        let upload = try sim.upload(pdf, type: "application/pdf")
        #expect(upload.status == 200)
        struct Uploaded: Decodable { var id: String }
        let mediaID = try JSONDecoder().decode(Uploaded.self, from: Data(upload.body)).id
        let sent = try sim.send(RunningSimulator.template("dakiya_certificate_issued", header: mediaID))
        #expect(sent.status == 200, "\(sent.text)")
        struct Accepted: Decodable {
            struct Contact: Decodable { var input: String; var wa_id: String }
            struct Message: Decodable { var id: String; var message_status: String }
            var messaging_product: String; var contacts: [Contact]; var messages: [Message]
        }
        let accepted = try JSONDecoder().decode(Accepted.self, from: Data(sent.body))
        #expect(accepted.messaging_product == "whatsapp")
        #expect(accepted.contacts.first?.wa_id == "919800000001")
        #expect(accepted.messages.first?.id.hasPrefix("wamid.") == true)
        #expect(accepted.messages.first?.message_status == "accepted")

        let info = try sim.client.send(
            HTTPClientRequest(url: sim.base + "/v23.0/\(mediaID)", headers: [("Authorization", "Bearer dev-token")]))
        struct MediaInfo: Decodable {
            var url: String; var mime_type: String; var sha256: String; var file_size: Int; var id: String
        }
        let media = try JSONDecoder().decode(MediaInfo.self, from: Data(info.body))
        #expect(media.mime_type == "application/pdf")
        #expect(media.file_size == pdf.count)
        let path = String(media.url.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" })
        let download = try sim.client.send(
            HTTPClientRequest(url: sim.base + path, headers: [("Authorization", "Bearer dev-token")]))
        #expect(download.body == pdf)
        #expect(
            try sim.client.send(HTTPClientRequest(url: sim.base + path)).status == 401, "downloads need the token too")
    }

    @Test("a missing or wrong token is 401 with code 190 in Meta's error object")
    func authentication() throws {
        let sim = try RunningSimulator()
        let response = try sim.send(RunningSimulator.template(), token: "expired")
        #expect(response.status == 401)
        let body = try JSONDecoder().decode(GraphErrorBody.self, from: Data(response.body))
        #expect(body.error.code == 190)
        #expect(body.error.type == "OAuthException")
        #expect(body.error.message.hasPrefix("(#190)"))
    }

    @Test("template rules: unknown name or language 132001, wrong parameter count 132000, a newline in a parameter 100")
    func templateRules() throws {
        let sim = try RunningSimulator()
        let unknown = try sim.send(RunningSimulator.template("no_such_template"))
        #expect(unknown.status == 404)
        #expect(try graphError(unknown) == 132001)
        #expect(try graphError(try sim.send(RunningSimulator.template(language: "ta"))) == 132001)
        #expect(try graphError(try sim.send(RunningSimulator.template(body: ["only one"]))) == 132000)
        #expect(
            try graphError(try sim.send(RunningSimulator.template("dakiya_certificate_issued"))) == 132000,
            "the document header is missing")
        #expect(try graphError(try sim.send(RunningSimulator.template(body: ["MH-1", "line\\nbreak"]))) == 100)
    }

    @Test("free-form messages need the 24-hour window: 131047 before the citizen writes and after it closes")
    func customerServiceWindow() throws {
        let sim = try RunningSimulator()
        let closed = try sim.send(RunningSimulator.text())
        #expect(closed.status == 400, "Meta answers these with 400")
        #expect(try graphError(closed) == 131047)
        let inbound = try sim.client.send(
            .json("POST", sim.base + "/_sim/inbound", body: #"{"from": "+919800000001"}"#))
        #expect(inbound.status == 204)
        #expect(try sim.send(RunningSimulator.text()).status == 200)
        sim.advance(24 * 3600 + 1)
        #expect(try graphError(try sim.send(RunningSimulator.text())) == 131047)
    }

    @Test(
        "interactive messages are held to Meta's limits (131009): at most 10 list rows, row titles of 24 and descriptions of 72 code points, 3 buttons, a Flow's version and id"
    )
    func interactiveLimits() throws {
        let sim = try RunningSimulator()
        #expect(
            try sim.client.send(.json("POST", sim.base + "/_sim/inbound", body: #"{"from": "+919800000001"}"#)).status
                == 204)
        // Past the pair limit's spacing before each message, so only the message itself can be refused.
        func paced(_ json: String) throws -> HTTPClientResponse {
            sim.advance(7)
            return try sim.send(json)
        }
        func list(_ rows: [String]) -> String {
            #"{"messaging_product": "whatsapp", "to": "+919800000001", "type": "interactive", "interactive": {"type": "list", "body": {"text": "b"}, "action": {"button": "Services", "sections": [{"title": "s", "rows": [\#(rows.joined(separator: ","))]}]}}}"#
        }
        func row(_ id: Int, title: String = "t", description: String? = nil) -> String {
            #"{"id": "r\#(id)", "title": "\#(title)""# + (description.map { #", "description": "\#($0)""# } ?? "") + "}"
        }
        #expect(try paced(list((0..<10).map { row($0) })).status == 200)
        #expect(try graphError(try paced(list((0..<11).map { row($0) }))) == 131009, "eleven rows")
        // 24 code points of Devanagari pass, 25 do not (JSON Schema and Meta count code points, not letters).
        let title24 = String(repeating: "कि", count: 12)
        #expect(try paced(list([row(1, title: title24)])).status == 200)
        #expect(try graphError(try paced(list([row(1, title: title24 + "क")]))) == 131009)
        #expect(try paced(list([row(1, description: String(repeating: "d", count: 72))])).status == 200)
        #expect(try graphError(try paced(list([row(1, description: String(repeating: "d", count: 73))]))) == 131009)
        #expect(try graphError(try paced(list([row(1), row(1)]))) == 131009, "ids must differ")
        func flow(_ parameters: String) -> String {
            #"{"messaging_product": "whatsapp", "to": "+919800000001", "type": "interactive", "interactive": {"type": "flow", "body": {"text": "b"}, "action": {"name": "flow", "parameters": {\#(parameters)}}}}"#
        }
        #expect(try paced(flow(#""flow_message_version": "3", "flow_id": "f1", "flow_cta": "Apply""#)).status == 200)
        #expect(try graphError(try paced(flow(#""flow_id": "f1", "flow_cta": "Apply""#))) == 131009)
        #expect(
            try graphError(
                try paced(
                    #"{"messaging_product": "whatsapp", "to": "+919800000001", "type": "interactive", "interactive": {"type": "carousel", "action": {}}}"#
                )) == 131009)
    }

    @Test("past DAKIYA_SIM_KEEP_MESSAGES the oldest messages go, and the counts still cover every one")
    func keptMessages() throws {
        let sim = try RunningSimulator(keepMessages: 3)
        #expect(
            try sim.client.send(.json("POST", sim.base + "/_sim/inbound", body: #"{"from": "+919800000001"}"#)).status
                == 204)
        for _ in 0..<5 { #expect(try sim.send(RunningSimulator.text()).status == 200) }
        #expect(sim.simulator.acceptedMessages.count == 3)
        #expect(sim.simulator.stats.accepted == 5 && sim.simulator.stats.recipients == 1)
    }

    @Test("a number that is not on WhatsApp is 131026; a number without + gets the business's country code")
    func recipients() throws {
        let sim = try RunningSimulator(notOnWhatsApp: ["919800000009"])
        #expect(try graphError(try sim.send(RunningSimulator.template(to: "+91 98000 00009"))) == 131026)
        let local = try sim.send(RunningSimulator.template(to: "9800000002"))
        #expect(local.text.contains("\"wa_id\":\"919800000002\""))
    }

    @Test("throughput above the messages per second is 130429; the pair limit is 131056; both recover with time")
    func rateLimits() throws {
        let sim = try RunningSimulator(mps: 10)
        for index in 0..<10 {
            #expect(
                try sim.send(RunningSimulator.template(to: "+9198000001\(String(format: "%02d", index))")).status == 200
            )
        }
        let over = try sim.send(RunningSimulator.template(to: "+919800000199"))
        #expect(over.status == 400)
        #expect(try graphError(over) == 130429)
        sim.advance(1)
        for _ in 0..<4 { #expect(try sim.send(RunningSimulator.template(to: "+919800000100")).status == 200) }
        #expect(
            try graphError(try sim.send(RunningSimulator.template(to: "+919800000100"))) == 131056,
            "a burst of 5 to one citizen, then the pair limit")
        sim.advance(6)
        #expect(try sim.send(RunningSimulator.template(to: "+919800000100")).status == 200)
        #expect(
            sim.simulator.rateLimited(130429) == 1 && sim.simulator.rateLimited(131056) == 1, "each refusal counted")
    }

    @Test(
        "the portfolio's messaging limit: new users past it are 131048; users already reached, or inside their window, are not counted; places free after 24 hours"
    )
    func messagingLimit() throws {
        let sim = try RunningSimulator(mps: 1000, messagingLimit: 3)
        for index in 1...3 {
            #expect(try sim.send(RunningSimulator.template(to: "+91980000030\(index)")).status == 200)
        }
        let over = try sim.send(RunningSimulator.template(to: "+919800000304"))
        #expect(over.status == 400)
        #expect(try graphError(over) == 131048)
        #expect(over.text.contains("messaging limit (3 unique users in 24 hours)"))
        #expect(
            try sim.send(RunningSimulator.template(to: "+919800000301")).status == 200,
            "a user reached in the last 24 hours costs nothing more")
        let inbound = try sim.client.send(
            .json("POST", sim.base + "/_sim/inbound", body: #"{"from": "+919800000305"}"#))
        #expect(inbound.status == 204)
        #expect(
            try sim.send(RunningSimulator.template(to: "+919800000305")).status == 200,
            "a user who wrote in the last 24 hours is inside their window: not counted")
        sim.advance(12 * 3600)
        #expect(try graphError(try sim.send(RunningSimulator.template(to: "+919800000306"))) == 131048)
        sim.advance(12 * 3600 + 1)
        #expect(
            try sim.send(RunningSimulator.template(to: "+919800000306")).status == 200,
            "24 hours after the first three, their places are free")
        #expect(sim.simulator.rateLimited(131048) == 2)
    }

    @Test("media of an unsupported type, or a 'PDF' that is not one, is 131053")
    func mediaTypes() throws {
        let sim = try RunningSimulator()
        #expect(try graphError(try sim.upload(Array("GIF89a".utf8), type: "image/gif")) == 131053)
        #expect(try graphError(try sim.upload(Array("not a pdf".utf8), type: "application/pdf")) == 131053)
        #expect(
            try graphError(try sim.send(RunningSimulator.template("dakiya_certificate_issued", header: "999")))
                == 131053)
    }
}
