"""English grapheme-to-phoneme through misaki, with or without spaCy's `en_core_web_sm`.

misaki's `en.G2P` downloads `en_core_web_sm` when it is missing, which must never happen at
runtime. Without the model we give misaki a tokenizer-only spaCy pipeline plus a rule-based
tagger (`_tags`) that sets the tags misaki's rules read (punctuation, numbers, currency, the
closed-class words, verb or noun for heteronyms), and espeak-ng reads the words misaki's lexicon
does not know.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

from misaki import en
from misaki.token import MToken

from tts_engine.text.dictionary import PHONEME_MARKUP
from tts_engine.text.g2p._tags import tag_words

log = logging.getLogger(__name__)

SPACY_MODEL = "en_core_web_sm"
_TAGGER = "kokoro_rule_tagger"
# spaCy's Penn tags for the punctuation misaki turns into pauses.
_PUNCT_TAGS = {
    ".": ".", "!": ".", "?": ".", "…": ":", "...": ":", ",": ",", ";": ":", ":": ":",
    "-": ":", "--": ":", "–": ":", "—": ":", "(": "-LRB-", ")": "-RRB-", "[": "-LRB-",
    "]": "-RRB-", '"': "''", "“": "``", "”": "''", "'": "''",
}
_CURRENCY = {"$", "£", "€"}
# num2words gives up on numbers this long (OverflowError); such runs are read digit by digit.
_LONG_DIGITS = re.compile(r"\d{16,}")


def normalise(text: str) -> str:
    """Text misaki can read: compatibility forms folded (full-width letters, ligatures), and
    over-long digit runs spaced out into single digits. Inline phoneme markup
    (`[word](/phonemes/)`, from a pronunciation dictionary) is kept exactly as written."""
    out, pos = [], 0
    for match in PHONEME_MARKUP.finditer(text):
        out.append(_normalise_plain(text[pos:match.start()]))
        out.append(match.group())
        pos = match.end()
    out.append(_normalise_plain(text[pos:]))
    return "".join(out)


def _normalise_plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return _LONG_DIGITS.sub(lambda m: " ".join(m.group()), text)


def espeak_tokens(fallback: Any, text: str) -> list[MToken]:
    """Last resort when misaki fails on a text: espeak-ng reads each word."""
    tokens = []
    for match in re.finditer(r"(\S+)(\s*)", text):
        word = MToken(text=match.group(1), tag="NN", whitespace=" " if match.group(2) else "")
        word.phonemes = fallback(word)[0] or ""
        tokens.append(word)
    return tokens


def _fixed_tag(text: str, like_num: bool, is_punct: bool) -> str | None:
    """The tag of punctuation, numbers and currency; None for words."""
    if text in _CURRENCY:
        return "$"
    if text in _PUNCT_TAGS:
        return _PUNCT_TAGS[text]
    if like_num or (text[:1].isdigit() and text[-2:] in {"st", "nd", "rd", "th"}):
        return "CD"
    if is_punct:
        return "NFP"
    return None


def rule_tags(doc: Any) -> list[str]:
    """Penn tags for a spaCy doc: fixed ones for symbols, `_tags` rules for words."""
    fixed = [_fixed_tag(t.text, t.like_num, t.is_punct) for t in doc]
    return tag_words([t.text for t in doc], fixed)


def blank_pipeline() -> Any:
    """A tokenizer-only English spaCy pipeline with the rule tagger."""
    import spacy
    from spacy.language import Language

    if not Language.has_factory(_TAGGER):

        @Language.component(_TAGGER)
        def rule_tagger(doc: Any) -> Any:
            for token, tag in zip(doc, rule_tags(doc), strict=True):
                token.tag_ = tag
            return doc

    nlp = spacy.blank("en")
    nlp.add_pipe(_TAGGER)
    return nlp


class _OfflineG2P(en.G2P):
    """misaki's English G2P on a pipeline we supply, so it never downloads a spaCy model."""

    def __init__(self, nlp: Any, british: bool, fallback: Any, unk: str) -> None:
        # Mirrors en.G2P.__init__ minus its spacy.cli.download call.
        self.version = None
        self.british = british
        self.nlp = nlp
        self.lexicon = en.Lexicon(british)
        self.fallback = fallback
        self.unk = unk


def has_spacy_model() -> bool:
    """Whether `en_core_web_sm` is installed (no download is attempted)."""
    import spacy

    return bool(spacy.util.is_package(SPACY_MODEL))


def english_g2p(british: bool, use_model: bool | None = None) -> en.G2P:
    """misaki's English G2P with the espeak-ng fallback; the spaCy model only when installed."""
    from misaki import espeak

    fallback = espeak.EspeakFallback(british=british)
    if use_model is None:
        use_model = has_spacy_model()
    if use_model:
        return en.G2P(british=british, fallback=fallback, unk="")
    return _OfflineG2P(blank_pipeline(), british=british, fallback=fallback, unk="")


def tokens_to_phonemes(tokens: list[en.MToken]) -> str:
    """The phoneme string of a run of tokens, as Kokoro joins them."""
    return "".join((t.phonemes or "") + (" " if t.whitespace else "") for t in tokens).strip()


def tokens_to_text(tokens: list[en.MToken]) -> str:
    """The source text of a run of tokens."""
    return "".join(t.text + t.whitespace for t in tokens).strip()
