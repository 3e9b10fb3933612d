"""The voice catalogue: which voices exist, blend specs, lazy loading of style packs."""

from __future__ import annotations

import difflib
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import torch

from tts_engine.errors import InvalidVoiceSpec, VoiceNotFound
from tts_engine.speech import LANGUAGES, VoiceInfo

log = logging.getLogger(__name__)

#: Kokoro-82M v1.0's voices (hexgrad/Kokoro-82M `voices/`), by language code.
KNOWN_V1_VOICES: dict[str, tuple[str, ...]] = {
    "a": (
        "af_alloy", "af_aoede", "af_bella", "af_heart", "af_jessica", "af_kore", "af_nicole",
        "af_nova", "af_river", "af_sarah", "af_sky", "am_adam", "am_echo", "am_eric",
        "am_fenrir", "am_liam", "am_michael", "am_onyx", "am_puck", "am_santa",
    ),
    "b": (
        "bf_alice", "bf_emma", "bf_isabella", "bf_lily", "bm_daniel", "bm_fable", "bm_george",
        "bm_lewis",
    ),
    "e": ("ef_dora", "em_alex", "em_santa"),
    "f": ("ff_siwis",),
    "h": ("hf_alpha", "hf_beta", "hm_omega", "hm_psi"),
    "i": ("if_sara", "im_nicola"),
    "p": ("pf_dora", "pm_alex", "pm_santa"),
    "j": ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"),
    "z": (
        "zf_xiaobei", "zf_xiaoni", "zf_xiaoxiao", "zf_xiaoyi", "zm_yunjian", "zm_yunxi",
        "zm_yunxia", "zm_yunyang",
    ),
}

_NAME = re.compile(r"^[a-z][fm]_[a-z0-9_]+$")
# One blend part: a voice name with an optional positive weight, `af_bella(2)`.
_PART = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(?:\(\s*([0-9]*\.?[0-9]+)\s*\))?\s*$")
MAX_BLEND = 8


def voice_info(name: str) -> VoiceInfo:
    """Describe a voice from its name: prefix letter = language, second letter = gender."""
    lang = name[0] if name[:1] in LANGUAGES else "?"
    gender = {"f": "female", "m": "male"}.get(name[1:2], "unknown")
    pretty = name.split("_", 1)[-1].replace("_", " ").title()
    return VoiceInfo(
        name=name, lang=lang, gender=gender,
        label=f"{pretty} ({LANGUAGES.get(lang, 'unknown language')}, {gender})",
    )


@dataclass(frozen=True)
class Blend:
    """A parsed voice spec: names with weights that sum to 1."""

    parts: tuple[tuple[str, float], ...]

    @property
    def spec(self) -> str:
        """The canonical spelling: `af_bella` or `af_bella(0.667)+af_sky(0.333)`."""
        if len(self.parts) == 1:
            return self.parts[0][0]
        return "+".join(f"{name}({weight:.4g})" for name, weight in self.parts)

    @property
    def lead(self) -> str:
        """The first voice; its prefix letter picks the language when none is given."""
        return self.parts[0][0]


def parse_spec(spec: str) -> Blend:
    """Parse `af_bella`, `af_bella,af_sky` (equal) or `af_bella(2)+af_sky(1)` (weighted)."""
    raw = [p for p in re.split(r"[,+]", spec)]
    if not spec.strip() or any(not p.strip() for p in raw):
        raise InvalidVoiceSpec(spec, "write voice names separated by ',' or '+'.")
    if len(raw) > MAX_BLEND:
        raise InvalidVoiceSpec(spec, f"a blend mixes at most {MAX_BLEND} voices.")
    parts: dict[str, float] = {}
    for piece in raw:
        match = _PART.match(piece)
        if not match:
            raise InvalidVoiceSpec(spec, f"{piece.strip()!r} is not a voice name like af_heart(2).")
        name, weight = match.group(1).lower(), float(match.group(2) or 1.0)
        if weight <= 0:
            raise InvalidVoiceSpec(spec, "weights must be greater than zero.")
        parts[name] = parts.get(name, 0.0) + weight
    total = sum(parts.values())
    return Blend(tuple((name, weight / total) for name, weight in parts.items()))


class VoiceLibrary:
    """Voices available to the engine; loads each style pack once, on first use.

    `fetch(name)` returns the path of `voices/<name>.pt` (a local file, or one the hub cache
    holds), raising `ModelUnavailable` when it cannot.
    """

    def __init__(self, names: Iterable[str], fetch: Callable[[str], Path]) -> None:
        self._names = sorted(set(names))
        self._fetch = fetch
        self._packs: dict[str, torch.Tensor] = {}
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        """Every voice name, sorted."""
        return list(self._names)

    def infos(self, lang: str | None = None) -> list[VoiceInfo]:
        """Voice descriptions, optionally of one language."""
        infos = [voice_info(n) for n in self._names]
        return [i for i in infos if lang is None or i.lang == lang]

    def check(self, blend: Blend) -> None:
        """Raise `VoiceNotFound` (with the closest names) for any unknown voice in `blend`."""
        for name, _ in blend.parts:
            if name not in self._names:
                raise VoiceNotFound(name, self.closest(name))

    def closest(self, name: str, limit: int = 3) -> list[str]:
        """The known names nearest to `name`."""
        return difflib.get_close_matches(name.lower(), self._names, n=limit, cutoff=0.5)

    def suggest(self, query: str, lang: str | None = None, limit: int = 25) -> list[str]:
        """Autocomplete: prefix matches, then substring matches, then near misses.

        In a blend (`af_bella,af_s`) the last part is completed and the rest kept.
        """
        cut = max(query.rfind(","), query.rfind("+")) + 1
        if cut:
            head = query[:cut]
            return [head + name for name in self.suggest(query[cut:], lang, limit)]
        pool = [n for n in self._names if lang is None or n.startswith(lang)]
        q = query.strip().lower()
        if not q:
            return pool[:limit]
        prefix = [n for n in pool if n.startswith(q) or n.split("_", 1)[-1].startswith(q)]
        inside = [n for n in pool if q in n and n not in prefix]
        near = [
            n for n in difflib.get_close_matches(q, pool, n=limit, cutoff=0.4)
            if n not in prefix and n not in inside
        ]
        return (prefix + inside + near)[:limit]

    def pack(self, name: str) -> torch.Tensor:
        """The style pack of one voice, shape (510, 1, 256), cached."""
        with self._lock:
            cached = self._packs.get(name)
            if cached is not None:
                return cached
            pack = torch.load(self._fetch(name), map_location="cpu", weights_only=True)
            self._packs[name] = pack
            return pack

    def style(self, blend: Blend) -> torch.Tensor:
        """The weighted average of the blend's packs (a plain voice is a one-part blend)."""
        self.check(blend)
        packs = [self.pack(name) * weight for name, weight in blend.parts]
        return packs[0] if len(packs) == 1 else torch.stack(packs).sum(dim=0)


def is_voice_name(name: str) -> bool:
    """Whether `name` looks like a Kokoro voice (`af_heart`)."""
    return bool(_NAME.match(name))
