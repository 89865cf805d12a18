import Foundation

/// The WhatsApp conversation hands a confirmed appeal to the appeals service through the job table
/// (queue `appeals`), and the appeals service answers a refused filing with a conversation reply (queue
/// `whatsapp`). These are the payloads both sides agree on.
package enum AppealHandOver {
    /// On the `appeals` queue: file an appeal the citizen confirmed on WhatsApp.
    package static let fileKind = "appeal.file"
    /// On the `whatsapp` queue: a free-form reply inside the customer-service window.
    package static let replyKind = "conversation.reply"

    package struct File: Codable, Sendable, Equatable {
        package var applicationID: String
        /// The citizen's number, +E.164: the application must belong to it.
        package var mobile: String
        package var grounds: String
        package var language: String
        package init(applicationID: String, mobile: String, grounds: String, language: String) {
            self.applicationID = applicationID
            self.mobile = mobile
            self.grounds = grounds
            self.language = language
        }
        enum CodingKeys: String, CodingKey { case applicationID = "application_id", mobile, grounds, language }
    }

    package struct Reply: Codable, Sendable, Equatable {
        package var to: String
        package var text: String
        package init(to: String, text: String) {
            self.to = to
            self.text = text
        }
    }
}
