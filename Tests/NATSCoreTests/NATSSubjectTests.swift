import NATSCore
import Testing

@Suite struct NATSSubjectTests {
    @Test(arguments: ["a", "a.b.c", "_INBOX.abc.1", "foo-bar.Baz_9", "ünïcode.subject"])
    func validEverywhere(subject: String) {
        #expect(NATSSubject.isValid(subject, as: .publish))
        #expect(NATSSubject.isValid(subject, as: .subscribe))
    }

    @Test(arguments: ["*", ">", "a.*", "a.>", "*.b.*", "a.*.>"])
    func wildcardsOnlyInSubscriptions(subject: String) {
        #expect(!NATSSubject.isValid(subject, as: .publish))
        #expect(NATSSubject.isValid(subject, as: .subscribe))
    }

    @Test(arguments: ["", ".", "a.", ".a", "a..b", "a b", "a\tb", "a\r\n", "a.>.b", "a*", "a.b>", "*a", "a.>>"])
    func invalidEverywhere(subject: String) {
        #expect(!NATSSubject.isValid(subject, as: .publish))
        #expect(!NATSSubject.isValid(subject, as: .subscribe))
        do {
            try NATSSubject.validate(subject, as: .subscribe)
        } catch {
            #expect(error.code == .invalidSubject)
            #expect(error.code.description == "nats.core.invalid_subject")
        }
    }

    @Test func queueGroups() throws {
        try NATSSubject.validateQueueGroup("workers.v1")
        #expect(throws: NATSCoreError.self) { try NATSSubject.validateQueueGroup("") }
        #expect(throws: NATSCoreError.self) { try NATSSubject.validateQueueGroup("a b") }
    }

    @Test func matching() {
        #expect(NATSSubject.matches("a.b.c", filter: "a.b.c"))
        #expect(NATSSubject.matches("a.b.c", filter: "a.*.c"))
        #expect(NATSSubject.matches("a.b.c", filter: "a.>"))
        #expect(NATSSubject.matches("a.b.c", filter: ">"))
        #expect(!NATSSubject.matches("a", filter: "a.>"))
        #expect(!NATSSubject.matches("a.b", filter: "a.*.c"))
        #expect(!NATSSubject.matches("a.b.c.d", filter: "a.*.c"))
        #expect(!NATSSubject.matches("a.b", filter: "a.b.c"))
    }
}
