"""Where the model comes from (a local model dir, the hub cache, or the hub) and runs.

Nothing here may hang on the network: the local cache is tried first, offline mode is honoured,
and every hub request carries the configured timeout.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tts_engine.config import DEFAULT_REPO_ID, ZH_REPO_ID, EngineConfig
from tts_engine.errors import ModelUnavailable
from tts_engine.model.voices import KNOWN_V1_VOICES

log = logging.getLogger(__name__)

WEIGHT_NAMES = {DEFAULT_REPO_ID: "kokoro-v1_0.pth", ZH_REPO_ID: "kokoro-v1_1-zh.pth"}
HOW_TO = (
    "Download the files once on a machine with internet access "
    "(`huggingface-cli download {repo} --local-dir models/kokoro`) and set engine.model_dir "
    "to that folder (config.json, the .pth weights and voices/*.pt)."
)


@dataclass(frozen=True)
class ModelFiles:
    """The resolved model: config, weights, voice names and how to fetch each voice file."""

    repo_id: str
    config: Path
    weights: Path
    voice_names: tuple[str, ...]
    voice_path: Callable[[str], Path]
    #: Mandarin G2P version: "1.1" for the v1.1-zh model, None for v1.0.
    zh_version: str | None


def resolve(config: EngineConfig) -> ModelFiles:
    """Find the model files, or raise `ModelUnavailable` saying how to provide them."""
    if config.model_dir is not None:
        return _from_dir(Path(config.model_dir), config.repo_id)
    return _from_hub(config.repo_id, config.hub_timeout_s)


def _from_dir(root: Path, repo_id: str) -> ModelFiles:
    weights = sorted(root.glob("*.pth")) if root.is_dir() else []
    voices = sorted(p.stem for p in (root / "voices").glob("*.pt")) if root.is_dir() else []
    missing = [
        what for what, ok in (
            ("config.json", (root / "config.json").is_file()),
            ("a .pth weights file", bool(weights)),
            ("voices/*.pt", bool(voices)),
        ) if not ok
    ]
    if missing:
        raise ModelUnavailable(
            f"The Kokoro model folder {root} (engine.model_dir) is missing "
            f"{', '.join(missing)}. " + HOW_TO.format(repo=repo_id)
        )
    chosen = next((w for w in weights if w.name in WEIGHT_NAMES.values()), weights[0])
    voice_dir = root / "voices"
    return ModelFiles(
        repo_id=repo_id,
        config=root / "config.json",
        weights=chosen,
        voice_names=tuple(voices),
        voice_path=lambda name: voice_dir / f"{name}.pt",
        zh_version="1.1" if "zh" in chosen.name else None,
    )


def _offline() -> bool:
    from huggingface_hub import constants

    flag = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    return flag or bool(constants.HF_HUB_OFFLINE)


def hub_file(repo_id: str, filename: str, timeout_s: float) -> Path:
    """One file of the hub repo: from the local cache, else downloaded within `timeout_s`."""
    # The download timeout is read from the environment when huggingface_hub is imported.
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", str(int(max(1, timeout_s))))
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", str(int(max(1, timeout_s))))
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(repo_id, filename, local_files_only=True))
    except Exception:  # any miss in the cache: fall through to the network, if allowed
        if _offline():
            raise ModelUnavailable(
                f"Kokoro's {filename} is not in the local model cache and the hub is offline "
                f"(HF_HUB_OFFLINE). " + HOW_TO.format(repo=repo_id)
            ) from None
    _probe_hub(repo_id, timeout_s)
    try:
        return Path(hf_hub_download(repo_id, filename, etag_timeout=timeout_s))
    except Exception as exc:
        raise ModelUnavailable(
            f"Could not download Kokoro's {filename} from the hub ({repo_id}): "
            f"{type(exc).__name__}. " + HOW_TO.format(repo=repo_id)
        ) from exc


def _probe_hub(repo_id: str, timeout_s: float) -> None:
    """Fail at once when the hub can't be reached: huggingface_hub retries for ~20 s."""
    from huggingface_hub import constants

    url = urlsplit(constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname or "", port), timeout=timeout_s).close()
    except OSError as exc:
        raise ModelUnavailable(
            f"Could not reach the model hub at {constants.ENDPOINT} ({exc.strerror or exc}). "
            + HOW_TO.format(repo=repo_id)
        ) from exc


def _from_hub(repo_id: str, timeout_s: float) -> ModelFiles:
    config = hub_file(repo_id, "config.json", timeout_s)
    weights = hub_file(repo_id, WEIGHT_NAMES.get(repo_id, WEIGHT_NAMES[DEFAULT_REPO_ID]), timeout_s)
    names = _known_voices(repo_id) or _cached_voices(config.parent) + _remote_voices(
        repo_id, timeout_s
    )
    return ModelFiles(
        repo_id=repo_id,
        config=config,
        weights=weights,
        voice_names=tuple(sorted(set(names))),
        voice_path=lambda name: hub_file(repo_id, f"voices/{name}.pt", timeout_s),
        zh_version="1.1" if repo_id == ZH_REPO_ID else None,
    )


def _known_voices(repo_id: str) -> list[str]:
    """The built-in list for Kokoro v1.0; other repos (v1.1-zh) are listed from the hub."""
    if repo_id != DEFAULT_REPO_ID:
        return []
    return [n for names in KNOWN_V1_VOICES.values() for n in names]


def _cached_voices(snapshot: Path) -> list[str]:
    """Voices already in the hub cache's snapshot."""
    return sorted(p.stem for p in (snapshot / "voices").glob("*.pt"))


def _remote_voices(repo_id: str, timeout_s: float) -> list[str]:
    """The repo's `voices/*.pt` as the hub lists them; none when offline or unreachable."""
    if _offline():
        return []
    try:
        _probe_hub(repo_id, timeout_s)
        from huggingface_hub import HfApi

        files = HfApi().list_repo_files(repo_id)
    except Exception as exc:  # the cached voices still work
        log.warning("Could not list the voices of %s: %s", repo_id, exc)
        return []
    return [Path(f).stem for f in files if f.startswith("voices/") and f.endswith(".pt")]


def list_voices(config: EngineConfig) -> list[str]:
    """Voice names without touching the network: the model dir's, the known v1.0 list, or
    (other repos) what the hub cache holds."""
    if config.model_dir is not None:
        return list(_from_dir(Path(config.model_dir), config.repo_id).voice_names)
    names = _known_voices(config.repo_id)
    if not names:
        from huggingface_hub import constants

        repo = Path(constants.HF_HUB_CACHE) / f"models--{config.repo_id.replace('/', '--')}"
        names = [p.stem for p in repo.glob("snapshots/*/voices/*.pt")]
    return sorted(set(names))


def pick_device(wanted: str) -> str:
    """The torch device for `wanted` ("auto" prefers cuda, then mps, then cpu)."""
    import torch

    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps and mps.is_available())
    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "mps" if has_mps else "cpu"
    if (wanted == "cuda" and not torch.cuda.is_available()) or (wanted == "mps" and not has_mps):
        raise ModelUnavailable(f"engine.device is {wanted!r}, but this machine has no {wanted}.")
    return wanted
