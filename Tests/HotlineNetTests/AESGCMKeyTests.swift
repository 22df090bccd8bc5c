import Testing
@testable import HotlineNet

/// AES-256-GCM with the key set up once and nonces from a buffer: it must still be exactly AES-256-GCM, never repeat
/// a nonce, and refuse anything altered, keep working after a refusal.
struct AESGCMKeyTests {
    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = Array(s.utf8)[...]
        while chars.count >= 2 {
            out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16)!)
            chars = chars.dropFirst(2)
        }
        return out
    }

    /// Test case 16 of the GCM specification (McGrew & Viega): AES-256, 96-bit IV, with additional data.
    @Test func opensTheGCMSpecificationsTestCase16() throws {
        let key = try AESGCMKey(Self.hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
        let plaintext = Self.hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let aad = Self.hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let sealed = Self.hex("cafebabefacedbaddecaf888") + Self.hex("76fc6ece0f4e1768cddf8853bb2d551b")
            + Self.hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662")
        #expect(try key.open(sealed, nonceAt: 0, aad: aad) == plaintext)
        #expect(try key.open([0x48, 0x53] + sealed, nonceAt: 2, aad: aad) == plaintext, "after a prefix")
    }

    @Test func everyMessageRoundTripsUnderItsOwnNonce() throws {
        let key = try AESGCMKey(try AESGCM.random(AESGCM.keyBytes))
        let prefix: [UInt8] = [0x48, 0x53, 0x31]
        var nonces = Set<[UInt8]>()
        // More than one 4 KB buffer of nonces (341 a buffer), sizes from empty to several blocks.
        for i in 0..<1_000 {
            let plaintext = (0..<(i % 97 * 7)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
            let aad = Array("ticket:JN-\(i)".utf8)
            let sealed = try key.seal(plaintext, aad: aad, prefix: prefix)
            #expect(sealed.count == prefix.count + AESGCM.nonceBytes + AESGCM.tagBytes + plaintext.count)
            #expect(Array(sealed.prefix(3)) == prefix)
            nonces.insert(Array(sealed[3..<(3 + AESGCM.nonceBytes)]))
            #expect(try key.open(sealed, nonceAt: prefix.count, aad: aad) == plaintext)
        }
        #expect(nonces.count == 1_000, "no nonce repeats")
    }

    @Test func anAlteredByteAnotherLabelOrAnotherKeyIsRefusedAndTheKeyKeepsWorking() throws {
        let key = try AESGCMKey(try AESGCM.random(AESGCM.keyBytes))
        let other = try AESGCMKey(try AESGCM.random(AESGCM.keyBytes))
        let plaintext = Array("张三 13812345678 解放路 12 号".utf8)
        let sealed = try key.seal(plaintext, aad: Array("ticket:A".utf8))
        for i in [0, AESGCM.nonceBytes, AESGCM.nonceBytes + AESGCM.tagBytes, sealed.count - 1] {
            var altered = sealed
            altered[i] ^= 0x01
            #expect(throws: AESGCM.Failure.authenticationFailed) { try key.open(altered, nonceAt: 0, aad: Array("ticket:A".utf8)) }
        }
        #expect(throws: AESGCM.Failure.authenticationFailed) { try key.open(sealed, nonceAt: 0, aad: Array("ticket:B".utf8)) }
        #expect(throws: AESGCM.Failure.authenticationFailed) { try other.open(sealed, nonceAt: 0, aad: Array("ticket:A".utf8)) }
        #expect(throws: AESGCM.Failure.authenticationFailed) { try key.open(Array(sealed.prefix(20)), nonceAt: 0, aad: []) }
        #expect(try key.open(sealed, nonceAt: 0, aad: Array("ticket:A".utf8)) == plaintext)
        #expect(throws: AESGCM.Failure.badKey) { try AESGCMKey([1, 2, 3]) }
    }
}
