import Testing
@testable import HotlineNet

@Suite struct BackoffTests {
    @Test(arguments: [0.0, 0.25, 0.5, 0.999999])
    func delayStaysWithinHalfAndFullCeilingAtEveryAttempt(random: Double) {
        let backoff = Backoff()
        for attempt in 0..<64 {
            let ceiling = backoff.ceiling(attempt: attempt)
            let delay = backoff.delay(attempt: attempt, random: random)
            #expect(delay >= ceiling / 2 && delay <= ceiling)
            #expect(delay <= 30_000)
        }
    }

    @Test func ceilingDoublesFromTheInitialDelayUpToTheCap() {
        let backoff = Backoff(initialMilliseconds: 200, capMilliseconds: 30_000)
        #expect((0..<9).map { backoff.ceiling(attempt: $0) }
                == [200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000])
        #expect(backoff.ceiling(attempt: 1_000_000) == 30_000)
    }

    @Test func ceilingNeverShrinksAsAttemptsGrow() {
        let backoff = Backoff(initialMilliseconds: 150, capMilliseconds: 10_000)
        let ceilings = (0..<100).map { backoff.ceiling(attempt: $0) }
        #expect(zip(ceilings, ceilings.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func outOfRangeRandomAndNegativeAttemptAreClamped() {
        let backoff = Backoff()
        #expect(backoff.delay(attempt: -3, random: -1) == 100)
        #expect(backoff.delay(attempt: 0, random: 7) == 200)
    }
}
