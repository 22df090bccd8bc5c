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
}
