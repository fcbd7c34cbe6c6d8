// AgreementChecker: an independent parser that finds agreement and bracket errors in synthetic sentences.

import RecurData

/// Parses sentences of the synthetic language and reports every broken dependency:
/// subject–main-verb number, `which`-clause verbs, object-relative and `that` clauses,
/// pronoun number, and `(`/`)` and comma-clause bracketing.
struct AgreementChecker {
    private var nounNumber: [String: Bool] = [:]  // word → isPlural
    private var verbNumber: [String: Bool] = [:]

    init() {
        for pair in SyntheticCorpus.subjectNouns {
            nounNumber[pair.singular] = false
            nounNumber[pair.plural] = true
        }
        for pair in SyntheticCorpus.agreeingVerbs {
            verbNumber[pair.singular] = false
            verbNumber[pair.plural] = true
        }
    }

    /// The number of the main subject and the index of the main verb, for statistics.
    struct Parse {
        var subjectIndex: Int
        var subjectPlural: Bool
        var verbIndex: Int
    }

    /// Descriptions of every violation in `sentence` (empty when it is well formed).
    func violations(in sentence: String) -> [String] {
        var problems: [String] = []
        _ = parse(sentence, problems: &problems)
        return problems
    }

    /// Parses `sentence`, appending problems; returns the main clause when one was found.
    func parse(_ sentence: String, problems: inout [String]) -> Parse? {
        let words = sentence.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        if words.contains("") { problems.append("empty word (double or edge space)") }
        if words.last != "." { problems.append("does not end with \" .\"") }
        guard let subject = words.firstIndex(where: { nounNumber[$0] != nil }), subject <= 3 else {
            problems.append("no subject noun in the first four words")
            return nil
        }
        let plural = nounNumber[words[subject]]!

        // Walk the main clause, skipping relative clauses, to the first agreeing verb.
        var i = subject + 1
        var mainVerb: Int?
        while i < words.count, mainVerb == nil {
            let w = words[i]
            if w == "(" {
                guard let close = words[(i + 1)...].firstIndex(where: { $0 == ")" || $0 == "(" || $0 == "," }),
                      words[close] == ")" else {
                    problems.append("\"(\" at word \(i) is not closed by \")\"")
                    return nil
                }
                checkRelative(words[(i + 1)..<close], headPlural: plural, problems: &problems)
                i = close + 1
            } else if w == ",", i + 1 < words.count, words[i + 1] == "which" {
                guard let close = words[(i + 1)...].firstIndex(where: { $0 == "," || $0 == "(" || $0 == ")" || $0 == "." }),
                      words[close] == "," else {
                    problems.append("comma clause at word \(i) is not closed by \",\"")
                    return nil
                }
                checkRelative(words[(i + 1)..<close], headPlural: plural, problems: &problems)
                i = close  // the closing comma may open the next clause
                if !(close + 1 < words.count && words[close + 1] == "which") { i += 1 }
            } else if let verbPlural = verbNumber[w] {
                mainVerb = i
                if verbPlural != plural {
                    problems.append("main verb \"\(w)\" does not agree with subject \"\(words[subject])\"")
                }
            } else if w == ")" || w == "," || w == "which" {
                problems.append("stray \"\(w)\" before the main verb at word \(i)")
                return nil
            } else {
                i += 1
            }
        }
        guard let verb = mainVerb else {
            problems.append("no main verb")
            return nil
        }
        checkRest(words, from: verb + 1, subjectPlural: plural, problems: &problems)
        return Parse(subjectIndex: subject, subjectPlural: plural, verbIndex: verb)
    }

    /// A relative clause body starting with `which`: either `which … V(head)` or
    /// `which Det Adj? N V(N)`; nested `N that V(N)` clauses are checked too.
    private func checkRelative(_ body: ArraySlice<String>, headPlural: Bool, problems: inout [String]) {
        guard body.first == "which", body.count >= 3 else {
            problems.append("malformed relative clause \"\(body.joined(separator: " "))\"")
            return
        }
        let firstNoun = body.firstIndex { nounNumber[$0] != nil }
        let firstVerb = body.firstIndex { verbNumber[$0] != nil }
        if let v = firstVerb, firstNoun == nil || v < firstNoun! {
            if verbNumber[body[v]] != headPlural {
                problems.append("relative-clause verb \"\(body[v])\" does not agree with the subject")
            }
        }
        checkLocal(body, problems: &problems)
    }

    /// After the main verb: local noun–verb agreement and the tail pronoun.
    private func checkRest(_ words: [String], from start: Int, subjectPlural: Bool, problems: inout [String]) {
        guard start < words.count else { return }
        let rest = words[start...]
        if rest.contains("(") || rest.contains(")") { problems.append("bracket after the main verb") }
        checkLocal(rest, problems: &problems)
        for i in rest.indices where words[i] == "it" || words[i] == "they" {
            let pronounPlural = words[i] == "they"
            if pronounPlural != subjectPlural {
                problems.append("pronoun \"\(words[i])\" does not agree with the subject")
            }
            if i + 1 < words.count, let v = verbNumber[words[i + 1]], v != pronounPlural {
                problems.append("verb \"\(words[i + 1])\" does not agree with pronoun \"\(words[i])\"")
            }
        }
    }

    /// `N V` (object-relative) and `N that V`: the verb agrees with the noun right before it.
    private func checkLocal(_ words: ArraySlice<String>, problems: inout [String]) {
        for i in words.indices.dropLast() {
            guard let nounPlural = nounNumber[words[i]] else { continue }
            var j = i + 1
            if words[j] == "that" { j += 1 }
            if j < words.endIndex, let verbPlural = verbNumber[words[j]], verbPlural != nounPlural {
                problems.append("\"\(words[j])\" does not agree with \"\(words[i])\"")
            }
        }
    }
}
