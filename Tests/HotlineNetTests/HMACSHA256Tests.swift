import Testing
import HotlineNet

/// HMAC-SHA-256 against RFC 4231's test vectors (OpenSSL does the work; this checks the call).
struct HMACSHA256Tests {
    func hex(_ b: [UInt8]) -> String { b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }

    @Test func rfc4231TestCases1And2() throws {
        #expect(hex(try HMACSHA256.mac(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(hex(try HMACSHA256.mac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func anEmptyMessageHasAMac() throws {
        #expect(try HMACSHA256.mac(key: [1, 2, 3], message: []).count == HMACSHA256.length)
    }

    /// One keyed context (and the pool of contexts reused after it) serves any number of messages, from several threads at once, each MAC the one-shot
    /// computation's (RFC 4231 case 2 among them); the key set up once must not carry anything from one message to
    /// the next.
    @Test func aKeySetUpOnceGivesEachMessageItsOwnMacFromAnyThread() async throws {
        let key = try HMACSHA256Key(Array("Jefe".utf8))
        let rfc = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        #expect(hex(try key.mac(Array("what do ya want for nothing?".utf8))) == rfc)
        #expect(hex(try key.mac(Array("what do ya want for nothing?".utf8))) == rfc)
        // A reused context starts from the key alone: nothing of the longer message before stays in it.
        #expect(try key.mac([]) == (try HMACSHA256.mac(key: Array("Jefe".utf8), message: [])))
        #expect(hex(try key.mac(Array("what do ya want for nothing?".utf8))) == rfc)
        let messages = (0..<200).map { Array("caller-phone:1390000\($0)".utf8) }
        let expected = try messages.map { try hex(HMACSHA256Key(Array("Jefe".utf8)).mac($0)) }
        #expect(Set(expected).count == messages.count)
        let results = await withTaskGroup(of: (Int, String).self) { group in
            for (i, m) in messages.enumerated() {
                group.addTask { (i, (try? key.mac(m)).map { self.hex($0) } ?? "failed") }
            }
            var out = [String](repeating: "", count: messages.count)
            for await (i, mac) in group { out[i] = mac }
            return out
        }
        #expect(results == expected)
    }

    @Test func anEmptyKeyIsRefused() {
        #expect(throws: AESGCM.Failure.self) { try HMACSHA256Key([]) }
    }
}
