"""Japanese grapheme-to-phoneme that works offline.

misaki reads Japanese through its bundled cutlet (fugashi/MeCab to kana, then to IPA). Two of
the `misaki[ja]` extra's dependencies download data at first use: `pyopenjtalk` (its own
dictionary; also a source-only package that needs a compiler) and the full `unidic` (a separate
dictionary download). We need neither: cutlet is used directly, with MeCab pointed at the
dictionary bundled in the `unidic-lite` wheel (or a full `unidic` whose dictionary is present).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import unicodedata
from typing import Any

from tts_engine.errors import LanguageExtraMissing

log = logging.getLogger(__name__)

#: What Japanese needs, as pip names it: misaki's `ja` extra without its downloaders.
PACKAGES = "fugashi jaconv mojimoji unidic-lite"


# misaki's number reader asserts on runs of 10+ digits; those are read digit by digit.
_LONG_DIGITS = re.compile(r"\d{10,}")


def normalise(text: str) -> str:
    """Text cutlet can read: NFKC (full-width digits become ASCII), long digit runs spaced."""
    text = unicodedata.normalize("NFKC", text)
    return _LONG_DIGITS.sub(lambda m: " ".join(m.group()), text)


@functools.cache
def dictionary_dir() -> str:
    """A MeCab dictionary that is already on disk, or `LanguageExtraMissing`."""
    for module in ("unidic", "unidic_lite"):
        try:
            found = __import__(module)
        except ImportError:
            continue
        dicdir = str(getattr(found, "DICDIR", ""))
        if os.path.isfile(os.path.join(dicdir, "mecabrc")):
            return dicdir
    raise LanguageExtraMissing("j", "ja", install="unidic-lite")


def japanese_g2p() -> Any:
    """misaki's cutlet G2P (text -> phonemes) on an installed dictionary; never downloads."""
    try:
        import fugashi
        from misaki import cutlet
    except ImportError as exc:
        raise LanguageExtraMissing("j", "ja", install=PACKAGES) from exc
    dicdir = dictionary_dir()
    tagger = fugashi.Tagger(f'-r "{os.path.join(dicdir, "mecabrc")}" -d "{dicdir}"')

    class _Cutlet(cutlet.Cutlet):
        def __init__(self) -> None:
            # Mirrors cutlet.Cutlet.__init__ with our tagger instead of fugashi's default.
            self.tagger = tagger
            self.table = dict(cutlet.HEPBURN)
            self.exceptions: dict[str, str] = {}

    log.debug("Japanese G2P uses the MeCab dictionary at %s", dicdir)
    return _Cutlet()
