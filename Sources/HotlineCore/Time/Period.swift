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
    /// The longest period of each unit anything may state: ten years. No regulation comes near it, and within it
    /// every deadline sum stays far from overflowing and every walk over working days stays short. A period
    /// beyond it (a peer's `{"days": 9223372036854775807}`) is refused where it is read, not computed with.
    public static func limit(_ unit: PeriodUnit) -> Int {
        switch unit { case .hours: 87_600; case .days: 3_660; case .workingDays: 2_500; case .months: 120 }
    }

    /// Why this period is refused (negative, or beyond `limit(unit)`), or nil.
    public var implausibility: String? {
        if amount < 0 { return "a period of \(self) is negative" }
        if amount > Self.limit(unit) { return "a period of \(self) is outside 0 to \(Self.limit(unit)) \(unit.rawValue) (ten years)" }
        return nil
    }
}

extension Period {
    private enum K: String, CodingKey { case hours, days, workingDays, months }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: K.self)
        let period: Period
        if let n = try c.decodeIfPresent(Int.self, forKey: .hours) { period = .hours(n) }
        else if let n = try c.decodeIfPresent(Int.self, forKey: .days) { period = .days(n) }
        else if let n = try c.decodeIfPresent(Int.self, forKey: .workingDays) { period = .workingDays(n) }
        else if let n = try c.decodeIfPresent(Int.self, forKey: .months) { period = .months(n) }
        else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "period needs hours, days, workingDays or months"))
        }
        if let why = period.implausibility { throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: why)) }
        self = period
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: K.self)
        switch self { case .hours(let n): try c.encode(n, forKey: .hours); case .days(let n): try c.encode(n, forKey: .days)
        case .workingDays(let n): try c.encode(n, forKey: .workingDays); case .months(let n): try c.encode(n, forKey: .months) }
    }
}
