"""How close offline English reads to misaki with spaCy's tags. Prints figures; not a test.

    python -m benchmarks.english

The corpus (`english_corpus.txt`) holds sentences tagged by hand as en_core_web_sm tags them.
misaki reads each sentence three ways: with those tags (the reference), with every word a noun
(the old offline path) and with our rule tagger (the offline path now). The figure is phoneme
edits per reference phoneme.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tts_engine.text.g2p._tags import tag_words
from tts_engine.text.g2p.english import _fixed_tag, _OfflineG2P, tokens_to_phonemes

CORPUS = Path(__file__).with_name("english_corpus.txt")


def load_corpus(path: Path = CORPUS) -> list[tuple[str, list[str], list[str]]]:
    """(text, spaCy tokens, hand tags) per sentence."""
    sentences = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, tokens, tags = "", [], []
        for item in line.split():
            glued = item.startswith("~")
            word, tag = item.lstrip("~").rsplit("/", 1)
            text += ("" if glued or not text else " ") + word
            tokens.append(word)
            tags.append(tag)
        sentences.append((text, tokens, tags))
    return sentences


def _g2p(tagger: Callable[[Any], list[str]]) -> Any:
    """misaki's English G2P on a tokenizer-only pipeline tagged by `tagger(doc)`."""
    import spacy
    from misaki import espeak

    nlp = spacy.blank("en")

    def tag(doc: Any) -> Any:
        for token, value in zip(doc, tagger(doc), strict=True):
            token.tag_ = value
        return doc

    nlp.add_pipe(_register(tag))
    return _OfflineG2P(nlp, british=False, fallback=espeak.EspeakFallback(british=False), unk="")


def _register(fn: Callable[[Any], Any]) -> str:
    from spacy.language import Language

    name = f"bench_tagger_{id(fn)}"
    Language.component(name, func=fn)
    return name


def _all_nouns(doc: Any) -> list[str]:
    """The offline tagger before: symbols and "to" tagged, every word a noun."""
    fixed = [_fixed_tag(t.text, t.like_num, t.is_punct) for t in doc]
    words = [t.text.lower() for t in doc]
    return [f or ("TO" if w == "to" else "NN") for w, f in zip(words, fixed, strict=True)]


def _rules(doc: Any) -> list[str]:
    fixed = [_fixed_tag(t.text, t.like_num, t.is_punct) for t in doc]
    return tag_words([t.text for t in doc], fixed)


def edits(a: str, b: str) -> int:
    """Levenshtein distance between two phoneme strings."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def main() -> int:
    """Print the edit rate of both offline taggers against the hand-tagged reference."""
    corpus = load_corpus()
    gold: list[list[str]] = []
    reference = _g2p(lambda doc: gold[0])
    readers = {"every word a noun (before)": _g2p(_all_nouns), "rule tagger (now)": _g2p(_rules)}
    totals = dict.fromkeys(readers, 0)
    differ = dict.fromkeys(readers, 0)
    ref_len = 0
    for text, tokens, tags in corpus:
        gold[:] = [tags]
        if [t.text for t in reference.nlp.tokenizer(text)] != tokens:
            raise SystemExit(f"corpus tokens differ from spaCy's: {text!r}")
        ref = tokens_to_phonemes(reference(text)[1])
        ref_len += len(ref)
        for name, g2p in readers.items():
            got = tokens_to_phonemes(g2p(text)[1])
            n = edits(ref, got)
            totals[name] += n
            differ[name] += n > 0
            if n and "-v" in sys.argv:
                print(f"  [{name}] {text}\n    want {ref}\n    got  {got}")
    print(f"{len(corpus)} sentences, {ref_len} reference phonemes (misaki + hand Penn tags)")
    for name in readers:
        print(f"{name:28s}: {totals[name] / ref_len:6.2%} phoneme edits, "
              f"{differ[name]} of {len(corpus)} sentences differ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
