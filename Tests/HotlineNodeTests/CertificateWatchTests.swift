import Foundation
import HotlineNet
import Testing
@testable import HotlineNode

/// Every node certificate of a city is issued the same day and expires the same day: the nodes warn a month before.
struct CertificateWatchTests {
    static let day = CertificateWatch.day
    let expiry = TLSContext.Expiry(millis: 1_800_000_000_000, file: "/var/lib/hotline/s1/tls/node.crt")

    @Test func daysLeftCountWholeDaysAndGoNegativeOncePast() {
        #expect(CertificateWatch.daysLeft(expiry, now: expiry.millis - 30 * Self.day) == 30)
        #expect(CertificateWatch.daysLeft(expiry, now: expiry.millis - 1) == 0)
        #expect(CertificateWatch.daysLeft(expiry, now: expiry.millis) == 0)
        #expect(CertificateWatch.daysLeft(expiry, now: expiry.millis + 1) == -1)
        #expect(CertificateWatch.daysLeft(expiry, now: expiry.millis + 2 * Self.day) == -2)
    }

    @Test func nothingIsSaidMoreThanAMonthBefore() {
        var watch = CertificateWatch()
        #expect(watch.check(expiry, now: expiry.millis - 30 * Self.day) == nil)
        #expect(watch.check(nil, now: expiry.millis) == nil, "no TLS, nothing to watch")
    }

    @Test func withinTheMonthItWarnsOnceADayAndAfterwardsItSaysItExpired() {
        var watch = CertificateWatch()
        let first = expiry.millis - 29 * Self.day - 3_600_000
        #expect(watch.check(expiry, now: first) == .expiring(daysLeft: 29))
        #expect(watch.check(expiry, now: first + 60_000) == nil, "the same day")
        var reloaded = CertificateWatch()  // what the daemon's reload starts
        #expect(reloaded.check(expiry, now: first + 60_000) == .expiring(daysLeft: 29), "a reload says it again")
        #expect(watch.check(expiry, now: first + Self.day) == .expiring(daysLeft: 28))
        #expect(watch.check(expiry, now: expiry.millis + 5) == .expired(daysAgo: 1))
    }

    @Test func theLogSaysWhatToRenewForANodeCertificateTheAuthorityOrTheRevocationList() {
        let sink = NodeFixture.Sink()
        let log = Log(node: "s1", sink: { sink.append($0) })
        CertificateWatch.log(.expiring(daysLeft: 12), expiry, node: "s1", to: log)
        CertificateWatch.log(.expired(daysAgo: 3), TLSContext.Expiry(millis: expiry.millis, file: "/d/tls/ca.crt"),
                             node: "s1", to: log)
        CertificateWatch.log(.expiring(daysLeft: 20), TLSContext.Expiry(millis: expiry.millis, file: "/d/tls/crl.pem"),
                             node: "s1", to: log)
        let all = sink.all
        #expect(all.count == 3)
        #expect(all[2].contains("revocation list") && all[2].contains("make-pki.sh TOPOLOGY PKI-DIR --crl"))
        #expect(all[0].contains("event=certificate-expiring") && all[0].contains("days_left=12")
                && all[0].contains("--force --node s1"))
        #expect(all[1].contains("event=certificate-expired") && all[1].contains("days_ago=3")
                && all[1].contains("Rotating the authority"))
    }
}
