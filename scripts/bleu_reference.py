#!/usr/bin/env python3
"""Writes Tests/RecurDataTests/Fixtures/bleu_reference.json: corpus BLEU of a few tokenized cases
by sacrebleu, an implementation independent of RecurData's BLEU, for BLEUTests to compare with.

Tokens are joined with single spaces and scored with tokenize='none' (split on spaces only),
smooth_method='none' and force=True, which is plain corpus BLEU-4 with the brevity penalty.

    ~/.venvs/torch-ref/bin/pip install sacrebleu
    ~/.venvs/torch-ref/bin/python scripts/bleu_reference.py
"""
import json
import pathlib

import sacrebleu

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/RecurDataTests/Fixtures/bleu_reference.json"


def words(*sentences):
    return [s.split() for s in sentences]


def chars(*sentences):
    return [list(s) for s in sentences]


CASES = {
    "perfect match, two sentences": (
        words("the cat sat on the mat", "a b c d e"),
        words("the cat sat on the mat", "a b c d e"),
    ),
    "brevity penalty: hypotheses shorter": (
        words("the cat sat on the", "there is a cat here"),
        words("the cat sat on the mat today", "there is a cat here on the mat"),
    ),
    "no brevity penalty: hypotheses longer": (
        words("the cat the cat sat on the mat quite happily", "a b c d e f"),
        words("the cat sat on the mat", "a b c d e"),
    ),
    "zero 4-gram matches": (
        words("the cat sat down", "a b x c d"),
        words("the cat sat on the mat", "a b y c d"),
    ),
    "zero unigram matches": (
        words("x y z w v"),
        words("a b c d e"),
    ),
    "clipping of repeated words": (
        words("the the the cat sat on the mat", "on the mat the cat sat", "the the the the the the the"),
        words("the cat sat on the mat", "the cat sat on the mat", "the cat is on the mat"),
    ),
    "several sentences, one shorter than four tokens": (
        words("he went to the big market yesterday", "no", "it is raining in the city again",
              "she reads a book on the train every morning"),
        words("he went to the market yesterday", "yes", "it is raining in the old city",
              "she reads a good book on the train every morning"),
    ),
    "char tokens: ISO dates": (
        chars("1998-03-03", "2001-12-25", "1950-01-01", "2049-11-30"),
        chars("1998-03-03", "2001-12-24", "1950-10-01", "2049-12-31"),
    ),
    "unicode and punctuation tokens": (
        words("je suis très content .", "où est la gare ?", "c' est ça !"),
        words("je suis très heureux .", "où est la gare ?", "c' est bien ça !"),
    ),
}


def main():
    cases = []
    for name, (hypotheses, references) in CASES.items():
        bleu = sacrebleu.corpus_bleu(
            [" ".join(h) for h in hypotheses],
            [[" ".join(r) for r in references]],
            tokenize="none", smooth_method="none", force=True,
        )
        cases.append({"name": name, "hypotheses": hypotheses, "references": references, "bleu": bleu.score,
                      "precisions": bleu.precisions, "bp": bleu.bp})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"generator": f"sacrebleu {sacrebleu.__version__}", "cases": cases},
                              ensure_ascii=False, indent=1) + "\n")
    for case in cases:
        print(f"{case['bleu']:10.6f}  {case['name']}")


if __name__ == "__main__":
    main()
