"""`LocalEngine`: Kokoro in this process: one shared model, per-language phonemizers, chunked
synthesis on a fair scheduler."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Generator, Hashable, Iterator
from functools import partial
from typing import Any

import numpy as np
import torch

from tts_engine.config import EngineConfig
from tts_engine.errors import ModelUnavailable, NothingToSay, SynthesisCancelled
from tts_engine.model import files as model_files
from tts_engine.model.heap import RetainedHeap
from tts_engine.model.shared import shared_model
from tts_engine.model.voices import VoiceLibrary, parse_spec
from tts_engine.speech import SAMPLE_RATE, Audio, SpeechRequest
from tts_engine.synthesis.base import Engine
from tts_engine.synthesis.cache import AudioCache, CacheKey
from tts_engine.synthesis.scheduler import FairScheduler, Priority, drive, raise_if_cancelled
from tts_engine.synthesis.stats import StreamRate
from tts_engine.text.chunking import Chunk, iter_chunks
from tts_engine.text.g2p import G2P

log = logging.getLogger(__name__)

WARMUP_TEXT = "Hello."


class LocalEngine(Engine):
    """Kokoro-82M in this process: validate requests, synthesise whole clips or streams.

    One `KModel` per process (engines on the same weights share it), built by `_build_model`;
    every inference goes through `_infer`.
    Async methods run the work chunk by chunk on the engine's `FairScheduler`: by priority,
    then round robin over who asked (`key`).
    """

    def __init__(self, config: EngineConfig) -> None:
        super().__init__(config)
        self.scheduler = FairScheduler(config.executor_workers, max_wait_s=config.max_wait_s)
        self._load_lock = threading.Lock()
        self._library_lock = threading.Lock()
        self._model: Any = None
        self._files: model_files.ModelFiles | None = None
        self._g2p: G2P | None = None
        self._library: VoiceLibrary | None = None
        self.device = "cpu"
        #: Bounds the freed memory the fast path keeps (see `tts_engine.model.heap`).
        self.heap = RetainedHeap(config.retained_heap_mb << 20)
        #: Finished clips by request, so a repeated phrase costs no inference.
        self.cache: AudioCache[Audio] = AudioCache.from_config(
            config.cache_entries, config.cache_max_mb
        )

    # --- loading -------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Whether the model is loaded."""
        return self._model is not None

    def load(self) -> None:
        """Load the model (blocking, idempotent); `ModelUnavailable` when it can't be."""
        with self._load_lock:
            if self._model is not None:
                return
            started = time.perf_counter()
            files = self._model_files()
            self.device = model_files.pick_device(self.config.device)
            if self.config.threads:
                torch.set_num_threads(self.config.threads)
            self._g2p = G2P(zh_version=files.zh_version)
            with self._library_lock:
                if self._library is not None and self._library.names != sorted(files.voice_names):
                    self._library = None
            weights = files.weights.resolve()
            key = (str(weights), weights.stat().st_mtime_ns, self.device, self.config.fast)
            self._model = shared_model(key, partial(self._build_model, files, self.device))
            log.info(
                "Kokoro loaded from %s on %s in %.1fs", files.weights.parent, self.device,
                time.perf_counter() - started,
            )

    def _model_files(self) -> model_files.ModelFiles:
        if self._files is None:
            self._files = model_files.resolve(self.config)
        return self._files

    def _build_model(self, files: model_files.ModelFiles, device: str) -> Any:
        """The one place the `KModel` is built (the fast path hooks in here)."""
        from kokoro import KModel

        try:
            model = KModel(
                repo_id=files.repo_id, config=str(files.config), model=str(files.weights)
            )
        except Exception as exc:  # a corrupt or mismatched checkpoint is unusable either way
            raise ModelUnavailable(
                f"The Kokoro weights at {files.weights} could not be loaded "
                f"({type(exc).__name__}: {exc}). Replace them with Kokoro's own files."
            ) from exc
        model = model.to(device).eval()
        if self.config.fast:
            from tts_engine.model.fast import optimize

            optimize(model)
        _add_cancel_points(model)
        return model

    async def start(self) -> None:
        """Load and warm up in the engine's executor (the event loop keeps running).

        With `load = "lazy"` nothing happens here: the first synthesis loads the model.
        """
        if self.config.load == "lazy":
            return
        await asyncio.wrap_future(self.scheduler.submit(self._warm_up, priority=Priority.VOICE))

    def _warm_up(self) -> None:
        self.load()
        started = time.perf_counter()
        voice = self.config.default_voice
        if voice not in self._voices().names:
            voice = self._voices().names[0]
        self.synthesize_sync(self.validate(WARMUP_TEXT, voice=voice, lang="a"))
        log.info("Engine warm in %.2fs", time.perf_counter() - started)

    def close(self) -> None:
        """Stop the scheduler; running work finishes, queued work is dropped."""
        self.scheduler.close()

    # --- voices and validation -----------------------------------------------------------

    def _voices(self) -> VoiceLibrary:
        with self._library_lock:
            if self._library is None:
                # Once the model is resolved its list is authoritative (v1.1-zh: from the hub).
                files = self._files
                names = files.voice_names if files else model_files.list_voices(self.config)
                self._library = VoiceLibrary(
                    names,
                    lambda name: self._model_files().voice_path(name),
                )
            return self._library

    # --- synthesis -----------------------------------------------------------------------

    def _infer(self, phonemes: str, ref_s: torch.Tensor, speed: float) -> np.ndarray:
        """The one inference call: phonemes (<= 510) + style row -> float32 24 kHz samples."""
        started = time.perf_counter()
        # Inference mode, not only no_grad (which KModel sets): no version counters or view
        # tracking on the ~1,000 tensors of a chunk, 14 ms less on a one-line chunk here.
        with torch.inference_mode():
            audio = self._model(phonemes, ref_s, speed)
            samples = np.asarray(audio.cpu().numpy(), dtype=np.float32).reshape(-1)
        self.stats.add(time.perf_counter() - started, len(samples))
        self.heap.check()
        return samples

    def _chunks(self, req: SpeechRequest, rate: StreamRate | None) -> Iterator[Chunk]:
        """The request's chunks; with a stream's `rate` they grow only as fast as they are
        made in time (`chunking.growth`)."""
        assert self._g2p is not None
        return iter_chunks(req.text, req.lang, self._g2p, self.config.chunk_phonemes, rate)

    def _render(
        self, req: SpeechRequest, cancel: threading.Event | None, paced: bool
    ) -> Iterator[tuple[Chunk, np.ndarray]]:
        """Each chunk with its audio (speech, then any paragraph pause), in order; `paced`: a
        stream, heard as it is made (see `_chunks`)."""
        self.load()
        pack = self._voices().style(parse_spec(req.voice))
        spoke = False
        rate = StreamRate(self.stats) if paced else None
        for chunk in self._chunks(req, rate):
            if cancel is not None and cancel.is_set():
                raise SynthesisCancelled()
            parts = []
            if chunk.phonemes:
                row = pack[min(len(chunk.phonemes), len(pack)) - 1]
                parts.append(self._infer(chunk.phonemes, row, req.speed))
                spoke = True
            if chunk.pause_after:
                parts.append(np.zeros(int(SAMPLE_RATE * chunk.pause_after / req.speed), "float32"))
            audio = np.concatenate(parts) if parts else np.zeros(0, np.float32)
            if rate is not None:
                rate.chunk(len(audio))
            yield chunk, audio
        if not spoke:
            raise NothingToSay()

    def _pieces(
        self, req: SpeechRequest, cancel: threading.Event | None, paced: bool = False
    ) -> Generator[tuple[float, np.ndarray], None, None]:
        """The clip piece by piece, each with the fraction of the text done: a cached clip in
        one piece, else chunk by chunk (`paced`: see `_render`), caching the clip once the last
        piece is made (a closed generator never gets there, so an abandoned stream caches
        nothing)."""
        key = self._cache_key(req)
        if cancel is not None and cancel.is_set():
            raise SynthesisCancelled()
        cached = self.cache.get(key)
        if cached is not None:
            yield 1.0, cached.samples
            return
        pieces, done, total = [], 0, max(1, len(req.text))
        for chunk, audio in self._render(req, cancel, paced):
            pieces.append(audio)
            done += len(chunk.text)
            yield min(1.0, done / total), audio
        self.cache.put(key, Audio(np.concatenate(pieces).astype(np.float32, copy=False)))

    def _cache_key(self, req: SpeechRequest) -> CacheKey:
        self.load()
        files = self._model_files()
        return CacheKey.for_request(req, f"{files.repo_id}|{files.weights}|fast={self.config.fast}")

    def stream_sync(
        self, req: SpeechRequest, cancel: threading.Event | None = None
    ) -> Generator[np.ndarray, None, None]:
        """Audio chunks (float32, 24 kHz) as each is synthesised; the first one is short."""
        for _, audio in self._pieces(req, cancel, paced=True):
            if len(audio):
                yield audio

    def synthesize_sync(
        self,
        req: SpeechRequest,
        cancel: threading.Event | None = None,
        on_progress: Callable[[float], None] | None = None,
    ) -> Audio:
        """The whole clip; `on_progress` gets the fraction of the text done after each chunk."""
        *_, clip = self._clip_steps(req, cancel, on_progress)
        assert clip is not None
        return clip

    def _clip_steps(
        self,
        req: SpeechRequest,
        cancel: threading.Event | None,
        on_progress: Callable[[float], None] | None,
    ) -> Generator[Audio | None, None, None]:
        """`synthesize_sync` one piece per step: None after each piece, the clip last."""
        pieces, done = [], 0.0
        for done, audio in self._pieces(req, cancel):
            pieces.append(audio)
            if on_progress is not None:
                on_progress(done)
            yield None
        if on_progress is not None and done < 1.0:
            on_progress(1.0)
        yield Audio(np.concatenate(pieces).astype(np.float32, copy=False))

    async def synthesize(
        self,
        req: SpeechRequest,
        cancel: threading.Event | None = None,
        on_progress: Callable[[float], None] | None = None,
        *,
        priority: Priority = Priority.BATCH,
        key: Hashable | None = None,
        on_wait: Callable[[bool], None] | None = None,
    ) -> Audio:
        """The whole clip, one scheduled step per chunk; cancelling the await stops the work.
        `on_wait` gets True when a step is queued behind other work, False when it runs."""
        cancel = cancel or threading.Event()
        steps = self._clip_steps(req, cancel, on_progress)
        clip = None
        async for step in drive(self.scheduler, steps, cancel, priority=priority, key=key,
                                on_wait=on_wait):
            clip = step
        assert clip is not None
        return clip

    def stream(
        self,
        req: SpeechRequest,
        cancel: threading.Event | None = None,
        *,
        priority: Priority = Priority.INTERACTIVE,
        key: Hashable | None = None,
    ) -> AsyncIterator[np.ndarray]:
        """Chunks as they are ready, one scheduled step each; the first one is short. Leaving
        early sets `cancel`: the chunk being synthesised is abandoned mid-way."""
        cancel = cancel or threading.Event()
        return drive(self.scheduler, self.stream_sync(req, cancel), cancel,
                     priority=priority, key=key)


def _add_cancel_points(model: torch.nn.Module) -> None:
    """Let a cancelled step stop between the model's layers rather than after the chunk."""

    def check(*_: object) -> None:
        raise_if_cancelled()

    for module in model.modules():
        if next(module.children(), None) is not None:
            module.register_forward_pre_hook(check)
