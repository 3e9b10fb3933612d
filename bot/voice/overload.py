"""What a server's player does when messages come faster than they can be read: it reads
faster as the queue grows (a step per queued message beyond a threshold, up to a cap), and
messages that waited past an age are skipped with one short spoken summary ("And 4 more
messages."). Each server sets both in /readaloud (`bot.voice.controls`)."""

from __future__ import annotations

from dataclasses import dataclass

#: The engine's top speed.
MAX_SPEED = 2.0


@dataclass(frozen=True)
class Overload:
    """A server's overload behaviour."""

    #: Utterances queued behind the next one before reading speeds up.
    threshold: int = 3
    #: Speed-up per queued utterance at or beyond the threshold (0.1: +10%).
    step: float = 0.1
    #: The most the speed is multiplied by.
    max_speedup: float = 1.5
    #: Messages that waited longer than this are skipped with a summary (0: never).
    stale_after_s: float = 60.0

    def speed(self, speed: float, waiting: int) -> float:
        """The speed to read at with `waiting` utterances queued behind."""
        return backlog_speed(speed, waiting, self.threshold, self.max_speedup, self.step)

    def stale(self, waited_s: float) -> bool:
        """Whether a message that waited `waited_s` is skipped."""
        return self.stale_after_s > 0 and waited_s > self.stale_after_s


def backlog_speed(speed: float, waiting: int, threshold: int, max_speedup: float,
                  step: float = 0.1) -> float:
    """`speed` plus `step` per utterance waiting at or beyond `threshold`, at most
    `max_speedup` times `speed` (and never past the engine's 2.0)."""
    if waiting < threshold:
        return speed
    factor = min(max_speedup, 1.0 + step * (waiting - threshold + 1))
    return min(MAX_SPEED, speed * factor)


def summary(count: int) -> str:
    """What is said in place of `count` skipped messages."""
    return f"And {count} more message{'' if count == 1 else 's'}."
