"""Split streamed text into sentences as they complete, so each can be spoken at once."""

from __future__ import annotations

import re

# A sentence ends at . ! ? … (plus closing quotes/brackets) followed by whitespace, or at CJK
# full stops, which need no space after them.
_END = re.compile(r"""(?:[.!?…]+["'”’)\]]*\s+|[。！？]+["'”’)\]]*\s*)""")
# "Dr. Smith" is not two sentences.
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "no", "mt"}
)


def _is_abbreviation(text: str, end: int) -> bool:
    before = text[:end].rstrip()
    if not before.endswith("."):
        return False
    word = re.split(r"\s", before[:-1])[-1].lower()
    return word in _ABBREVIATIONS


class SentenceSplitter:
    """Feed text pieces; get back the sentences they completed, in order."""

    def __init__(self) -> None:
        self._buffer = ""

    def add(self, text: str) -> list[str]:
        """Add a piece of text; returns every sentence now complete."""
        self._buffer += text
        sentences: list[str] = []
        start = 0
        for match in _END.finditer(self._buffer):
            if _is_abbreviation(self._buffer, match.end()):
                continue
            sentence = self._buffer[start:match.end()].strip()
            if sentence:
                sentences.append(sentence)
            start = match.end()
        self._buffer = self._buffer[start:]
        return sentences

    def finish(self) -> str:
        """What is left once the text stream ends (an unterminated last sentence)."""
        rest, self._buffer = self._buffer.strip(), ""
        return rest
