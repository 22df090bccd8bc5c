/// Why a policy profile file was refused; the message names the field in the file.
public enum ProfileError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingField(String)
    case wrongType(field: String, message: String)
    case invalid(field: String, message: String)
    case malformed(String)
    case notFound(String)

    init(decoding error: DecodingError) {
        func path(_ keys: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let all = keys + (last.map { [$0] } ?? [])
            return all.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case let .keyNotFound(key, context): self = .missingField(path(context.codingPath, key))
        case let .valueNotFound(_, context): self = .missingField(path(context.codingPath))
        case let .typeMismatch(_, context): self = .wrongType(field: path(context.codingPath), message: context.debugDescription)
        case let .dataCorrupted(context):
            self = context.codingPath.isEmpty ? .malformed(context.debugDescription)
                : .wrongType(field: path(context.codingPath), message: context.debugDescription)
        @unknown default: self = .malformed(String(describing: error))
        }
    }

    public var description: String {
        switch self {
        case .missingField(let field): return "profile field '\(field)' is missing; add it with its value and article"
        case let .wrongType(field, message): return "profile field '\(field)' has the wrong type: \(message)"
        case let .invalid(field, message): return "profile field '\(field)' \(message)"
        case .malformed(let message): return "profile is not valid JSON: \(message)"
        case .notFound(let name): return "no profile named '\(name)'; use one of the built-in names or load a file"
        }
    }
}
