import Foundation
import Testing
@testable import HotlineCore
import HotlineProfiles

@Test(arguments: ProfileLibrary.builtinNames)
func everyBuiltinProfileLoadsAndValidates(name: String) throws {
    let profile = try ProfileLibrary.builtin(name)
    #expect(profile.id == name)
    #expect(!profile.kinds.isEmpty)
    #expect(profile.handlingDefault != nil || !profile.tiers.isEmpty)
}

@Test func profilePrefixesMatchTheTicketIdContract() throws {
    let prefixes = try ProfileLibrary.builtinNames.map { try ProfileLibrary.builtin($0).prefix }
    #expect(prefixes == ["JN", "AS", "TH", "BD", "ASD"])
}

@Test func everyProfileHasTheNetworksCommonKinds() throws {
    for name in ProfileLibrary.builtinNames {
        let codes = Set(try ProfileLibrary.builtin(name).kinds.map(\.code))
        #expect(codes.isSuperset(of: ["consult", "help", "complain"]), "\(name)")
    }
    let anshan = Set(try ProfileLibrary.builtin("anshan-2019").kinds.map(\.code))
    #expect(anshan.isSuperset(of: ["query", "opinion", "situation"]))
}

@Test func unknownProfileNameIsRefused() {
    #expect(throws: ProfileError.notFound("shenyang-2030")) { try ProfileLibrary.builtin("shenyang-2030") }
}

/// The raw JSON of a built-in profile, to break in tests.
func profileJSON(_ name: String) throws -> [String: Any] {
    let profile = try ProfileLibrary.builtin(name)
    let data = try JSONEncoder().encode(profile)
    return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
}

func decodeError(_ object: [String: Any]) throws -> ProfileError? {
    let data = try JSONSerialization.data(withJSONObject: object)
    do {
        _ = try PolicyProfile.decode(data)
        return nil
    } catch {
        return error
    }
}

@Test func missingFieldIsNamedInTheMessage() throws {
    var json = try profileJSON("tonghua-2021")
    json["signDeadline"] = nil
    let error = try decodeError(json)
    #expect(error == .missingField("signDeadline"))
    #expect(error?.description.contains("signDeadline") == true)
}

@Test func missingNestedFieldIsNamedWithItsPath() throws {
    var json = try profileJSON("tonghua-2021")
    var returns = json["returns"] as? [String: Any] ?? [:]
    returns["requiresBasis"] = nil
    json["returns"] = returns
    #expect(try decodeError(json)?.description.contains("returns.requiresBasis") == true)
}

@Test func negativePeriodIsRefusedNamingTheField() throws {
    var json = try profileJSON("jinan-2018")
    json["handlingDefault"] = ["value": ["workingDays": -5], "article": "§24"]
    let error = try decodeError(json)
    #expect(error?.description.contains("handlingDefault") == true)
    #expect(error?.description.contains("negative") == true)
}

@Test func duplicateTierCodesAreRefused() throws {
    var json = try profileJSON("baoding-2022")
    let tiers = json["tiers"] as? [Any] ?? []
    json["tiers"] = tiers + [tiers[0]]
    #expect(try decodeError(json) == .invalid(field: "tiers", message: "codes must be unique"))
}

@Test func requiredTierWithoutTiersIsRefused() throws {
    var json = try profileJSON("baoding-2022")
    json["tiers"] = []
    #expect(try decodeError(json)?.description.contains("handlingDefault") == true)
}

@Test func wrongTypeNamesTheField() throws {
    var json = try profileJSON("anshan-2019")
    json["evaluationScale"] = ["value": "emoji", "article": "§23"]
    #expect(try decodeError(json)?.description.contains("evaluationScale") == true)
}

@Test func notJSONIsRefused() {
    #expect(throws: ProfileError.self) { try PolicyProfile.decode(Data("{".utf8)) }
}

@Test func aSixthCityIsANewFile() throws {
    var json = try profileJSON("jinan-2018")
    json["id"] = "qingdao-2030"
    json["prefix"] = "QD"
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("qingdao-\(UUID().uuidString).json")
    try JSONSerialization.data(withJSONObject: json).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    let profile = try ProfileLibrary.load(file: url)
    #expect(profile.id == "qingdao-2030")
    #expect(profile.prefix == "QD")
}

@Test(arguments: ProfileLibrary.builtinNames)
func profileRoundTripsThroughJSON(name: String) throws {
    let profile = try ProfileLibrary.builtin(name)
    let again = try PolicyProfile.decode(try JSONEncoder().encode(profile))
    #expect(again == profile)
}

@Test func ticketIdFormatsAndParses() throws {
    let date = try #require(LocalDate(year: 2026, month: 3, day: 2))
    let id = TicketID.make(prefix: "JN", date: date, sequence: 123)
    #expect(id == "JN-20260302-000123")
    let parsed = try #require(TicketID.parse(id))
    #expect(parsed.prefix == "JN" && parsed.date == date && parsed.sequence == 123)
    #expect(TicketID.parse("JN-20260230-000001") == nil)
    #expect(TicketID.parse("jn-20260302-000001") == nil)
    #expect(TicketID.parse("JN-2026032-000001") == nil)
}
