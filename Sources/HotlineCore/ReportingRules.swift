/// 统计与预警 — what the centre's figures, monthly bulletin and early warnings use (RULES.md §9). Cluster and
/// repeated-caller warnings reuse the supervision thresholds (`manyCallersCount`, `manyCallersHours`,
/// `repeatWindowDays`) and deadline warnings its `warnAtFractions`, so one number means one thing per profile.
public struct ReportingRules: Sendable, Codable, Equatable {
    /// The profile's own core figures, shown first (BD §36: 响应率, 解决率, 满意率; ASD §17: 办结率, 满意率;
    /// AS19 §23: star ratings).
    public var coreFigures: Ruled<[FigureKey]>
    /// Groups with fewer dispatches in the period are listed but not ranked (DESIGN: rank fairly).
    public var rankMinDispatched: Ruled<Int>
    /// A topic or area spikes when its requests of the last 24 hours reach `spikeFactor` × its mean per day over
    /// the `baselineDays` before, and at least `spikeMinCount` (BD §31, AS19 §31).
    public var spikeFactor: Ruled<Double>
    public var spikeMinCount: Ruled<Int>
    public var baselineDays: Ruled<Int>
    /// How many topics the monthly bulletin lists as hot issues (JN §26, ASD §22, BD §33).
    public var hotIssues: Ruled<Int>

    public init(coreFigures: Ruled<[FigureKey]>, rankMinDispatched: Ruled<Int>, spikeFactor: Ruled<Double>,
                spikeMinCount: Ruled<Int>, baselineDays: Ruled<Int>, hotIssues: Ruled<Int>) {
        self.coreFigures = coreFigures
        self.rankMinDispatched = rankMinDispatched
        self.spikeFactor = spikeFactor
        self.spikeMinCount = spikeMinCount
        self.baselineDays = baselineDays
        self.hotIssues = hotIssues
    }

    /// Used by a profile file without a `reporting` section.
    public static let networkDefault = ReportingRules(
        coreFigures: Ruled([.responseRate, .completionRate, .satisfactionRate], article: "network default", isDefault: true),
        rankMinDispatched: Ruled(5, article: "network default (DESIGN: rank fairly)", isDefault: true),
        spikeFactor: Ruled(3.0, article: "network default", isDefault: true),
        spikeMinCount: Ruled(5, article: "network default", isDefault: true),
        baselineDays: Ruled(28, article: "network default", isDefault: true),
        hotIssues: Ruled(5, article: "network default", isDefault: true))

    func validate() throws(ProfileError) {
        if coreFigures.value.isEmpty { throw .invalid(field: "reporting.coreFigures", message: "must name at least one figure") }
        if rankMinDispatched.value < 0 { throw .invalid(field: "reporting.rankMinDispatched", message: "must not be negative") }
        if !(spikeFactor.value > 1) { throw .invalid(field: "reporting.spikeFactor", message: "must be more than 1 (got \(spikeFactor.value))") }
        if spikeMinCount.value < 1 { throw .invalid(field: "reporting.spikeMinCount", message: "must be 1 or more") }
        if baselineDays.value < 1 { throw .invalid(field: "reporting.baselineDays", message: "must be 1 or more") }
        if hotIssues.value < 1 { throw .invalid(field: "reporting.hotIssues", message: "must be 1 or more") }
    }
}
