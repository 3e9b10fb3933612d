"""Job-level domain errors: what the job service tells a user. `str(err)` is the sentence."""

from __future__ import annotations

from uuid import UUID

from tts_engine.errors import TTSError


class QueueFull(TTSError):
    """Too many queued or running jobs, for this user or for everyone."""

    status = 429

    def __init__(self, active: int, cap: int, *, per_user: bool) -> None:
        self.active, self.cap, self.per_user = active, cap, per_user
        if per_user:
            msg = (
                f"You already have {active} requests queued or running; the limit is {cap}. "
                "Wait for one to finish, or cancel one."
            )
        else:
            msg = (
                f"The queue is full ({active} requests queued or running; the limit is {cap}). "
                "Try again in a few minutes."
            )
        super().__init__(msg)


class ProjectNotFound(TTSError):
    status = 404

    def __init__(self, project_id: UUID | str) -> None:
        self.project_id = project_id
        super().__init__(f"There is no TTS project {project_id}; it may have been deleted.")


class NotAllowed(TTSError):
    status = 403

    def __init__(self) -> None:
        super().__init__(
            "That project isn't yours. Only its owner or someone who can manage the server "
            "may do that."
        )


class AlreadyFinished(TTSError):
    """Cancelling a project that has already completed or failed."""

    status = 409

    def __init__(self, status: str) -> None:
        self.project_status = status
        super().__init__(f"That project has already {status}; there is nothing to cancel.")


class AudioNotReady(TTSError):
    status = 409

    def __init__(self) -> None:
        super().__init__("That project has no audio yet; wait until it has completed.")


class AudioUnavailable(TTSError):
    """The stored audio cannot be fetched (deleted at the store, or the store is down)."""

    status = 503

    def __init__(self, reason: str) -> None:
        super().__init__(f"The audio can't be fetched right now: {reason}.")


#: Why storing failed, in a user's words, by the store's `problem`.
_STORAGE_PROBLEMS = {
    "unreachable": "the storage service is unreachable",
    "full": "the server's audio storage is full",
    "not_writable": "the server can't write its audio files",
    "local_io": "the server's audio storage failed",
    "rejected": "the storage service refused the file",
}


class UploadFailed(TTSError):
    """The audio was made but could not be stored, after every retry."""

    status = 503

    def __init__(self, attempts: int, problem: str = "unreachable") -> None:
        self.attempts, self.problem = attempts, problem
        why = _STORAGE_PROBLEMS.get(problem, _STORAGE_PROBLEMS["unreachable"])
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        super().__init__(
            f"The audio was generated but could not be stored after {tries} ({why}). "
            "Please try again later."
        )


class JobTimedOut(TTSError):
    status = 504

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        super().__init__(f"Generating the audio took longer than {timeout_s:g} seconds and was "
                         "stopped. Try a shorter text.")


class WorkerLost(TTSError):
    """The job's worker stopped responding too many times."""

    status = 500

    def __init__(self, attempts: int) -> None:
        super().__init__(
            f"The job was interrupted {attempts} times (its worker stopped) and was given up."
        )


class JobCrashed(TTSError):
    """An unexpected fault; the log has the details under `ref`."""

    status = 500

    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"Something went wrong while generating the audio (error id {ref}).")
