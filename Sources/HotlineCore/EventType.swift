/// The type of a ticket event: stable lowercase kebab words (stored, sent between nodes, shown in reports).
public enum EventType: String, Sendable, Codable, CaseIterable {
    case received, answered, rejected, referred
    case materialRequested = "material-requested", materialSupplied = "material-supplied"
    case dispatched, forwarded, signed
    case returnRequested = "return-requested", returnApproved = "return-approved", returnRefused = "return-refused"
    case extensionRequested = "extension-requested", extensionApproved = "extension-approved"
    case extensionRefused = "extension-refused"
    case progress
    case assistReported = "assist-reported"
    case replied
    case reviewPassed = "review-passed", reviewSentBack = "review-sent-back"
    case callback
    case evaluationDisputed = "evaluation-disputed", reEvaluated = "re-evaluated"
    case supervised, escalated
    case recusalRequested = "recusal-requested", recusalDecided = "recusal-decided"
    case suspended, resumed, terminated, closed, archived, reopened
}
