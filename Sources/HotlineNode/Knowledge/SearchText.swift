/// Text for the knowledge base's full-text index. SQLite's FTS5 tokenizers see a run of Chinese characters as one
/// token, and the trigram tokenizer cannot match the two-character words operators type most (供水, 停水, 户籍);
/// so, as Lucene's CJK bigram analyzer does, each run of Han (and kana, hangul) characters is indexed as its
/// overlapping pairs, and a query term becomes the phrase of its pairs: a phrase of consecutive pairs matches
/// exactly the texts that contain the term. Latin words and numbers are indexed as lower-case words.
enum SearchText {
    static func isCJK(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FA1F, 0x3040...0x30FF, 0xAC00...0xD7AF: return true
        default: return false
        }
    }

    /// The tokens of `text`, in order: CJK pairs (a lone character stands alone) and lower-cased words.
    static func tokens(_ text: String) -> [String] {
        var out: [String] = []
        var run: [Unicode.Scalar] = [], word = ""
        func flushRun() {
            if run.count == 1 { out.append(String(Character(run[0]))) }
            if run.count >= 2 {
                for i in 0..<(run.count - 1) {
                    var s = String.UnicodeScalarView()
                    s.append(run[i])
                    s.append(run[i + 1])
                    out.append(String(s))
                }
            }
            run.removeAll()
        }
        func flushWord() {
            if !word.isEmpty { out.append(word.lowercased()) }
            word = ""
        }
        for s in text.unicodeScalars {
            if isCJK(s) {
                flushWord()
                run.append(s)
            } else if s.properties.isAlphabetic || s.properties.numericType != nil {
                flushRun()
                word.unicodeScalars.append(s)
            } else {
                flushRun()
                flushWord()
            }
        }
        flushRun()
        flushWord()
        return out
    }

    /// What is stored in the index for `text`.
    static func indexed(_ text: String) -> String { tokens(text).joined(separator: " ") }

    /// An FTS5 query: every term of `text` must occur (as a phrase of its tokens); nil when nothing searchable.
    /// A lone character matches the pairs it starts.
    static func query(_ text: String) -> String? {
        let terms = text.split(whereSeparator: { $0.isWhitespace || $0 == "，" || $0 == "," || $0 == "、" })
        var parts: [String] = []
        for term in terms {
            for group in groups(String(term)) {
                if group.count == 1, let only = group.first, only.unicodeScalars.count == 1, isCJK(only.unicodeScalars.first!) {
                    parts.append("\"\(only)\"*")
                } else {
                    parts.append("\"" + group.joined(separator: " ") + "\"")
                }
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: " AND ")
    }

    /// A query term split where it changes between CJK and other text ("iPhone维修" → ["iphone"], ["维修"]), so
    /// each part is a phrase of adjacent tokens.
    static func groups(_ term: String) -> [[String]] {
        var groups: [[String]] = []
        var current = "", currentIsCJK: Bool?
        for s in term.unicodeScalars {
            let cjk = isCJK(s)
            if let c = currentIsCJK, c != cjk {
                groups.append(tokens(current))
                current = ""
            }
            currentIsCJK = cjk
            current.unicodeScalars.append(s)
        }
        if !current.isEmpty { groups.append(tokens(current)) }
        return groups.filter { !$0.isEmpty }
    }
}
