import Foundation
import HotlineCore
import HotlineNet

/// What the work loop watches besides its own work, for the people who run the node: its certificate's end
/// (`CertificateWatch`), its disk (`DiskWatch`), its holiday calendar (`CalendarWatch`), links down or stalled. Each
/// logs a warning with what to do, and `status` / `status --check` show the same (README, "Running a node as a
/// service").
extension NodeDaemon {
    /// A link down for `outageWarnMillis` is logged (`link-still-down`, with what waits for it), again every
    /// `outageRepeatMillis` while it stays down, and `link-back` when it comes up after such a warning: `link-down`
    /// alone scrolls away, and a unit's gateway that stays off is tickets waiting unseen.
    static let outageWarnMillis: Int64 = 10 * 60_000
    static let outageRepeatMillis: Int64 = 60 * 60_000

    func watchOutage(_ driver: LinkDriver, now: RoundTime) {
        if driver.isEstablished {
            if let since = driver.downSince, driver.lastDownWarning != nil {
                log.info("link-back", ["peer": driver.peer, "down_minutes": "\((now.mono - since.mono) / 60_000)",
                                       "since": since.at.iso8601])
            }
            driver.downSince = nil
            driver.lastDownWarning = nil
            return
        }
        guard let since = driver.downSince else {
            driver.downSince = (now.mono, now.at)
            return
        }
        let down = now.mono - since.mono
        guard down >= Self.outageWarnMillis,
              driver.lastDownWarning.map({ now.mono - $0 >= Self.outageRepeatMillis }) ?? true else { return }
        driver.lastDownWarning = now.mono
        let queued = pendingCount(driver.peer) ?? 0
        let check = driver.peer == context.parentNode?.id
            ? "this node dials its parent \(driver.peer)\(driver.lastError.map { " (last: \($0))" } ?? ""): check that \(driver.peer) runs and that this server reaches its address"
            : "\(driver.peer) dials this node: check that it runs, that it reaches this node's address and that its certificate is valid (its own log says why it cannot connect)"
        log.warn("link-still-down", ["peer": driver.peer, "since": since.at.iso8601, "down_minutes": "\(down / 60_000)",
                                     "queued": "\(queued)",
                                     "detail": "\(check); nothing is lost: the \(queued) queued message\(queued == 1 ? "" : "s") go when it is back"])
    }

    /// A link that is up while the neighbour acknowledges none of what waits for it: a neighbour whose storage fails
    /// (each round it takes the messages in fails, and the connection is dropped and made again), or one that cannot
    /// store one message and gets it at every connection. `link-down` / `link-still-down` never say it, since the
    /// link keeps coming up. Looked at every 10 s; the time counts only while the link is up (a link back after an
    /// outage has its first acknowledgement to come); logged (`link-stalled`) once it reaches `outageWarnMillis`,
    /// hourly after, and `link-moving` when the queue moves again.
    func watchQueue(_ driver: LinkDriver, now: RoundTime) {
        if let last = driver.lastQueueLook, now.mono - last < 10_000 { return }
        guard let queue = try? context.links.queue(link: driver.peer, acknowledged: deferredAcks.upTo[driver.peer] ?? 0)
        else { return }
        let sinceLook = driver.lastQueueLook.map { now.mono - $0 } ?? 0
        driver.lastQueueLook = now.mono
        guard let before = driver.queueAcknowledged, queue.pending > 0, queue.acknowledged <= before else {
            if driver.lastStallWarning != nil {
                log.info("link-moving", ["peer": driver.peer, "acknowledged": "\(queue.acknowledged)", "queued": "\(queue.pending)"])
            }
            driver.queueAcknowledged = queue.acknowledged
            driver.stalledUpMillis = 0
            driver.lastStallWarning = nil
            return
        }
        guard driver.isEstablished else { return }
        driver.stalledUpMillis += sinceLook
        let minutes = driver.stalledUpMillis / 60_000
        guard driver.stalledUpMillis >= Self.outageWarnMillis,
              driver.lastStallWarning.map({ now.mono - $0 >= Self.outageRepeatMillis }) ?? true else { return }
        driver.lastStallWarning = now.mono
        log.warn("link-stalled", ["peer": driver.peer, "queued": "\(queue.pending)", "acknowledged": "\(queue.acknowledged)",
                                  "minutes": "\(minutes)",
                                  "detail": "the link is up, but \(driver.peer) has acknowledged none of the \(queue.pending) message\(queue.pending == 1 ? "" : "s") queued for it in \(minutes) minutes of it: look at \(driver.peer)'s own log (storage-failed, message-refused) and at the link-closed lines here; nothing is lost, the messages stay queued"])
    }

    /// The certificate's end and the disk, looked at once a minute of the loop (`DiskWatch.due`): neither changes
    /// between rounds, and the loop runs thousands of rounds a second under load.
    func watchHealth(now: RoundTime) {
        guard diskWatch.due(now: now.mono) else { return }
        watchCertificate()
        distributeRevocationList(now: now)
        watchDisk(now: now)
        watchCalendar()
    }

    /// Logs `calendar-missing` for each year deadlines are counted in without its holiday notice (at the first look,
    /// then once a day of the node's clock).
    func watchCalendar() {
        for year in calendarWatch.check(context.deadlines.calendar, today: ChinaTime.date(of: context.clock.now)) {
            CalendarWatch.log(year: year, openTickets: (try? CalendarWatch.openTickets(deadlineIn: year, db: context.db)) ?? 0, to: log)
        }
    }

    /// At the centre: the revocation list in use goes to every node when it is not the one sent last
    /// (`TicketService.distributeRevocationList`): at the first look, after a reload.
    func distributeRevocationList(now: RoundTime) {
        guard context.role == .city, let list = currentTLS()?.revocationList else { return }
        do {
            try service.distributeRevocationList(list, now: now.at)
        } catch {
            log.error("revocation-list-not-sent", ["error": "\(error)", "action": "tried again in a minute; until then copy crl.pem to the nodes by hand (deploy/pki/README.md)"])
        }
    }

    /// Logs `certificate-expiring` / `certificate-expired` when due (at the first look, after a reload, then once a
    /// day), on the machine's clock as OpenSSL reads it.
    func watchCertificate() {
        let current = currentTLS(), expiry = current?.expiry
        service.certificateExpiry = expiry
        service.revocationList = current?.revocationList
        if let expiry, let notice = certificateWatch.check(expiry, now: Int64(Date().timeIntervalSince1970 * 1000)) {
            CertificateWatch.log(notice, expiry, node: context.nodeId, to: log)
        }
    }

    private func watchDisk(now: RoundTime) {
        let path = context.dir.path
        guard let space = diskSpace(path) else { return }
        service.diskSpace = space
        if let notice = diskWatch.observe(space, now: now.mono) { DiskWatch.log(notice, path: path, to: log) }
    }
}
