// LabeledDataFormat: writes examples in the file formats that ClassifyReader and TagReader read.

/// Renders examples as the text of a labelled file, so built-in data can be saved, inspected,
/// edited and read back through the same readers as user data (and tests can round-trip them).
public enum LabeledDataFormat {
    /// One `label<TAB>text` line per example, each ending in `"\n"`.
    ///
    /// - Precondition: labels and texts contain no line ending, labels no tab.
    public static func classifyText(_ examples: [ClassifyExample]) -> String {
        var text = ""
        for example in examples {
            text += example.label + "\t" + example.text + "\n"
        }
        return text
    }

    /// CoNLL columns: `token tag` lines separated by one space, a blank line after every
    /// sentence. With `documentStart`, the file opens with `-DOCSTART- O` and a blank line as
    /// CoNLL-2003 files do (sentence lines then move down by two).
    public static func tagText(_ sentences: [TagSentence], documentStart: Bool = false) -> String {
        var text = documentStart ? TagReader.documentStart + " O\n\n" : ""
        for sentence in sentences {
            for (token, tag) in zip(sentence.tokens, sentence.tags) {
                text += token + " " + tag + "\n"
            }
            text += "\n"
        }
        return text
    }
}
