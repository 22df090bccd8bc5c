import Foundation

public enum PeriodUnit: String, Sendable, Codable { case hours, days, workingDays, months }
public enum Period: Sendable, Hashable, Codable, CustomStringConvertible {
    case hours(Int), days(Int), workingDays(Int), months(Int)
    public var description: String {
        switch self { case .hours(let n): "\(n) h"; case .days(let n): "\(n) days"; case .workingDays(let n): "\(n) wd"; case .months(let n): "\(n) months" } }
}
extension Period { public var unit: PeriodUnit {
    switch self { case .hours: .hours; case .days: .days; case .workingDays: .workingDays; case .months: .months } } }

extension Period {
    private enum K: String, CodingKey { case hours, days, workingDays, months }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: K.self)
        if let n = try c.decodeIfPresent(Int.self, forKey: .hours) { self = .hours(n); return }
        if let n = try c.decodeIfPresent(Int.self, forKey: .days) { self = .days(n); return }
        if let n = try c.decodeIfPresent(Int.self, forKey: .workingDays) { self = .workingDays(n); return }
        if let n = try c.decodeIfPresent(Int.self, forKey: .months) { self = .months(n); return }
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "period needs hours, days, workingDays or months"))
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: K.self)
        switch self { case .hours(let n): try c.encode(n, forKey: .hours); case .days(let n): try c.encode(n, forKey: .days)
        case .workingDays(let n): try c.encode(n, forKey: .workingDays); case .months(let n): try c.encode(n, forKey: .months) }
    }
}
