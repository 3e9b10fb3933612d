"""Pronunciation dictionaries: replacing words before G2P (pure text, no database).

An entry replaces a whole word with plain text ("gg" -> "good game") or with phonemes for
Kokoro (`/kˈOkəɹO/`). Phoneme entries become misaki's inline markup `[word](/phonemes/)`, which
the English front end passes to the model as written; `tts_engine.text.g2p` does the same for the
other languages. Matching is whole-word and case-insensitive unless an entry says otherwise;
the first entry that matches a word wins, so callers list the user's entries before the
server's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

#: misaki's inline phoneme markup: `[text](/phonemes/)`.
PHONEME_MARKUP = re.compile(r"\[([^\]\n]+)\]\(/([^)/\n]*)/?\)")
MAX_WORD_CHARS = 50
MAX_REPLACEMENT_CHARS = 200
_FORBIDDEN_IN_PHONEMES = frozenset("[]()/\\\n\r\t")
#: Where a whole word may start: no word character (or a contraction's apostrophe) before it.
_NOTHING_BEFORE = r"(?<![\w'’])"
_WORD_START = re.compile(_NOTHING_BEFORE)


@dataclass(frozen=True)
class Entry:
    """One dictionary entry; `replacement` is phonemes when written as `/.../`."""

    word: str
    replacement: str
    case_sensitive: bool = False

    @property
    def phonemes(self) -> str | None:
        """The phoneme string of a `/.../` replacement, else None."""
        r = self.replacement
        if len(r) >= 2 and r.startswith("/") and r.endswith("/"):
            return r[1:-1]
        return None

    def spoken(self, matched: str) -> str:
        """What replaces `matched` in the text handed to G2P."""
        phonemes = self.phonemes
        if phonemes is None:
            return self.replacement
        return f"[{matched}](/{phonemes}/)"


def check_entry(word: str, replacement: str) -> str | None:
    """Why an entry cannot be saved (a sentence for the user), or None when it is fine."""
    word, replacement = word.strip(), replacement.strip()
    if not word or not replacement:
        return "Both the word and its replacement need some text."
    if len(word) > MAX_WORD_CHARS:
        return f"The word is {len(word)} characters long; the limit is {MAX_WORD_CHARS}."
    if len(replacement) > MAX_REPLACEMENT_CHARS:
        return (f"The replacement is {len(replacement)} characters long; the limit is "
                f"{MAX_REPLACEMENT_CHARS}.")
    if any(c in word for c in "[]()\n"):
        return "The word can't contain brackets or line breaks."
    phonemes = Entry(word, replacement).phonemes
    if phonemes is not None and (not phonemes.strip()
                                 or any(c in _FORBIDDEN_IN_PHONEMES for c in phonemes)):
        return ("Phonemes go between two slashes, like /kˈOkəɹO/, with no brackets, "
                "slashes or line breaks inside.")
    return None


def _pattern(entry: Entry) -> str:
    body = re.escape(entry.word)
    if not entry.case_sensitive:
        body = f"(?i:{body})"
    # Whole words: no word character (or a contraction's apostrophe) on either side; a
    # possessive "'s" still counts as the word.
    return rf"{_NOTHING_BEFORE}{body}(?!\w|['’](?!s\b)\w)"


class Dictionary:
    """Entries compiled into one pattern; `apply` is a single left-to-right pass, so a
    replacement is never replaced again."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries: list[Entry] = []
        seen: set[tuple[str, bool]] = set()
        for entry in entries:
            key = (entry.word if entry.case_sensitive else entry.word.lower(), entry.case_sensitive)
            if entry.word and key not in seen:
                seen.add(key)
                self.entries.append(entry)
        # Earlier entries win; among a layer, longer words first ("New York" before "New").
        self._pattern = re.compile("|".join(
            f"(?P<e{i}>{_pattern(e)})" for i, e in enumerate(self.entries))) if self.entries \
            else None

    def __bool__(self) -> bool:
        return bool(self.entries)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the entries' words lie in `text`, as `apply` would match them."""
        return [(start, end) for start, end, _ in self._matches(text, 0, len(text))]

    def arriving(self, text: str) -> int:
        """Where an entry's word that `text` ends with only the start of begins ("Yahoo! Ans"
        of "Yahoo! Answers"), else `len(text)`: text still to come may complete it."""
        exact, folded = self._prefixes
        for start in range(max(0, len(text) - MAX_WORD_CHARS + 1), len(text)):
            tail = text[start:]
            if (tail in exact or tail.lower() in folded) and _WORD_START.match(text, start):
                return start
        return len(text)

    @cached_property
    def _prefixes(self) -> tuple[frozenset[str], frozenset[str]]:
        """Every proper prefix of the entries' words: case-sensitive ones as written, the
        others lower-cased."""
        exact: set[str] = set()
        folded: set[str] = set()
        for entry in self.entries:
            into, word = (exact, entry.word) if entry.case_sensitive \
                else (folded, entry.word.lower())
            into.update(word[:n] for n in range(1, len(word)))
        return frozenset(exact), frozenset(folded)

    def apply(self, text: str) -> str:
        """`text` with every dictionary word replaced; existing phoneme markup is kept."""
        return apply_layers(text, [self])

    def _matches(self, text: str, start: int, end: int) -> Iterator[tuple[int, int, str]]:
        """(start, end, what is said) for each match in `text[start:end]` (earlier words are
        still seen by the whole-word look-behind)."""
        if self._pattern is None:
            return
        for match in self._pattern.finditer(text, start, end):
            assert match.lastgroup is not None
            yield match.start(), match.end(), \
                self.entries[int(match.lastgroup[1:])].spoken(match.group())


def apply_layers(text: str, layers: Sequence[Dictionary]) -> str:
    """`text` with the layers applied in priority order (the user's, then the server's): each
    layer replaces words only where the earlier ones matched nothing, and nothing replaced is
    replaced again. One pass per layer over what is left: linear in the text."""
    active = [d for d in layers if d]
    if not active or not text:
        return text
    out: list[str] = []
    pos = 0
    for markup in PHONEME_MARKUP.finditer(text):
        _replace(text, pos, markup.start(), active, out)
        out.append(markup.group())
        pos = markup.end()
    _replace(text, pos, len(text), active, out)
    return "".join(out)


def _replace(text: str, start: int, end: int, layers: Sequence[Dictionary],
             out: list[str]) -> None:
    if not layers:
        out.append(text[start:end])
        return
    pos = start
    for m_start, m_end, spoken in layers[0]._matches(text, start, end):
        _replace(text, pos, m_start, layers[1:], out)
        out.append(spoken)
        pos = m_end
    _replace(text, pos, end, layers[1:], out)


def layered(*layers: Sequence[Entry]) -> Dictionary:
    """One dictionary from layers in priority order (the user's, then the server's); with one
    layer, an owner's own compiled dictionary."""
    entries: list[Entry] = []
    for layer in layers:
        entries.extend(sorted(layer, key=lambda e: -len(e.word)))
    return Dictionary(entries)


def split_phonemes(text: str) -> list[tuple[str, bool]]:
    """`text` as (piece, is_phonemes) pairs: inline markup gives its phonemes verbatim."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for match in PHONEME_MARKUP.finditer(text):
        if match.start() > pos:
            out.append((text[pos:match.start()], False))
        out.append((match.group(2), True))
        pos = match.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out
