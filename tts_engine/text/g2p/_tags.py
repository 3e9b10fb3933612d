"""Penn part-of-speech tags without a statistical model, for the tags misaki reads.

misaki reads a tag for a few closed-class words ("a" as "ɐ" only when DT, "I" unstressed when
PRP, "in" unstressed when IN, "that" stressed when DT, "used to") and for heteronyms, where the
lexicon holds a NOUN, VERB, ADJ, VBD or VBN reading. So closed-class words come from a table,
and an open-class word is a verb, participle, adjective or noun by the words around it:
"to record", "will present", "they live" vs "the record", "a present", "is close".
"""

from __future__ import annotations

from collections.abc import Sequence


def _table(tag: str, words: str) -> dict[str, str]:
    return dict.fromkeys(words.split(), tag)


CLOSED: dict[str, str] = {
    **_table("DT", "a an the this these those every each some any no another all both either "
                   "neither"),
    **_table("PRP", "i you he she it we they me him us them myself yourself himself herself "
                    "itself ourselves themselves"),
    **_table("PRP$", "my your his her our their its"),
    **_table("IN", "in on at of for with by from about into onto over under after before "
                   "during through between among against without within across behind beyond "
                   "near since until till upon via than because if while although though "
                   "unless whether like as"),
    **_table("CC", "and or but nor yet"),
    **_table("MD", "will would can could shall should may might must 'll 'd wo ca"),
    **_table("VBZ", "is has does 's"),
    **_table("VBP", "are am have do 're 've 'm"),
    **_table("VBD", "was were had did"),
    **_table("VB", "be"),
    **_table("VBN", "been"),
    **_table("VBG", "being"),
    **_table("RB", "not n't never also very too just really always often still already "
                   "soon now then here there so"),
    **_table("WP", "who whom what"),
    **_table("WRB", "when where why how"),
    **_table("WDT", "which"),
    **_table("UH", "please yes hello hi oh"),
    **_table("TO", "to"),
}
_SUBJECTS = {"i", "you", "we", "they", "he", "she", "it"}
_BE = {"is", "are", "am", "was", "were", "be", "been", "being", "'s", "'re", "'m"}
_HAVE = {"have", "has", "had", "'ve"}
#: Words after which an open-class word is a bare verb.
_BEFORE_VERB = {"to", "please", "let", "'s"}
#: Open-class tags: nouns, verbs, adjectives and adverbs.
_OPEN = ("NN", "VB", "JJ", "RB")


def _previous(tags: Sequence[str | None], words: Sequence[str], i: int) -> int:
    """Index of the word before `i`, skipping adverbs ("will not record"); -1 at the start."""
    j = i - 1
    while j >= 0 and tags[j] == "RB" and words[j] != "there":
        j -= 1
    return j


def _open_tag(
    words: Sequence[str], tags: Sequence[str | None], i: int, names: set[int]
) -> str:
    """The tag of an open-class word from its neighbours (`names`: capitalised mid-sentence)."""
    word, j = words[i], _previous(tags, words, i)
    before, before_tag = (words[j], tags[j]) if j >= 0 else ("", None)
    after_tag = tags[i + 1] if i + 1 < len(tags) else "."
    if before_tag in ("MD", "TO") or before in _BEFORE_VERB or before in ("do", "did", "does"):
        return "VB"
    if before in _HAVE:
        return "VBN"
    if before in _BE:
        if word.endswith("ed"):
            return "VBN"
        return "VBG" if word.endswith("ing") else "JJ"
    if before in _SUBJECTS:
        k = _previous(tags, words, j)
        if k >= 0 and (tags[k] == "MD" or words[k] in ("do", "did", "does")):
            return "VB"  # a question: "Could you read", "Did they record"
        if word.endswith("ed"):
            return "VBD"
        return "VBZ" if word.endswith("s") and before in ("he", "she", "it") else "VBP"
    if j in names and word.endswith("s") and not word.endswith("ss"):
        return "VBZ"  # after a name: "Dr. Smith lives"
    if j < 0 and after_tag in ("DT", "PRP", "PRP$", "TO"):
        return "VB"  # an imperative: "Close the door", "Excuse me"
    return "RB" if word.endswith("ly") and len(word) > 4 else "NN"


def _that(words: Sequence[str], tags: Sequence[str | None], i: int) -> str:
    """"that" is a determiner/pronoun unless it joins a clause after an open-class word."""
    before = tags[i - 1] if i > 0 else None
    after = tags[i + 1] or "NN" if i + 1 < len(tags) else "."
    joins = before is not None and before.startswith(_OPEN) and before != "RB"
    # "that book" is a determiner even after a verb: "I have read that book".
    return "IN" if joins and after[0].isalpha() and not after.startswith("NN") else "DT"


def tag_words(words: Sequence[str], fixed: Sequence[str | None]) -> list[str]:
    """Tags for `words`; `fixed` holds the tags already known (punctuation, numbers) or None.

    `words` are spaCy's tokens ("don't" is "do" + "n't").
    """
    lower = [w.lower() for w in words]
    tags: list[str | None] = [
        tag if tag is not None else ("PRP" if w == "I" else CLOSED.get(low) if w != "i" else None)
        for w, low, tag in zip(words, lower, fixed, strict=True)
    ]
    for i, low in enumerate(lower):
        if low == "that" and tags[i] is None:
            tags[i] = "WDT"  # settled below, once the open-class words are tagged
    names = {i for i, w in enumerate(words) if i and w[:1].isupper() and tags[i] is None}
    for i in range(len(words)):
        if tags[i] is None:
            tags[i] = _open_tag(lower, tags, i, names)
    for i, low in enumerate(lower):
        if low == "that" and fixed[i] is None:
            tags[i] = _that(lower, tags, i)
        elif low == "used" and i + 1 < len(lower) and lower[i + 1] == "to":
            j = _previous(tags, lower, i)
            tags[i] = "VBN" if j >= 0 and lower[j] in _BE | {"get", "got"} else "VBD"
    return [t or "NN" for t in tags]
