import Testing
@testable import HotlineNet

@Suite struct HostPortTests {
    @Test(arguments: [
        ("127.0.0.1:7000", "127.0.0.1", 7000),
        ("[::1]:7001", "::1", 7001),
        ("city.example:0", "city.example", 0),
        ("localhost:65535", "localhost", 65535),
    ])
    func validAddressesParse(text: String, host: String, port: Int) throws {
        let parsed = try HostPort(parsing: text)
        #expect(parsed == HostPort(host: host, port: port))
        #expect(parsed.description == text)
    }

    @Test(arguments: ["", "7000", "host:", ":7000", "host:70000", "host:-1", "::1:7000", "[::1]7000", "[::1:7000", "h:x"])
    func invalidAddressesAreRefusedWithTheTextInTheMessage(text: String) {
        #expect(throws: NetError.invalidAddress(text)) { try HostPort(parsing: text) }
    }

    @Test(arguments: ["127.0.0.1", "127.255.0.9", "::1", "localhost", "LOCALHOST"])
    func loopbackHostsAreRecognised(host: String) {
        #expect(HostPort.isLoopback(host))
    }

    @Test(arguments: ["10.0.0.1", "128.0.0.1", "::2", "0.0.0.0", "city.example", "", "127.0.0.1.evil.example"])
    func otherHostsAreNotLoopback(host: String) {
        #expect(!HostPort.isLoopback(host))
    }
}
