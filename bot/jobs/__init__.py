"""The job system: durable TTS jobs, the worker pool that runs them, and their progress."""

from __future__ import annotations

from .pool import worker_left
from .service import JobService
from .types import JobRequest, ProgressEvent, Stage, SubmitResult, can_manage

__all__ = ["JobRequest", "JobService", "ProgressEvent", "Stage", "SubmitResult", "can_manage",
           "worker_left"]
