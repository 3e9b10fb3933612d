"""What the voice feature tells a user; `str(err)` is the sentence."""

from __future__ import annotations

from tts_engine.errors import TTSError

#: Said once in a server whose read-aloud can't work: Discord doesn't send the message text.
CONTENT_INTENT_MISSING = (
    "I can't read messages aloud here: this bot runs without Discord's message content "
    "intent, so Discord doesn't send it what people write. /say and /tts still work. "
    "Server managers: ask the bot's owner to enable the intent in the developer portal and "
    "set `discord.message_content = true`.")


class VoiceError(TTSError):
    """Root of the voice feature's errors."""


class NotInVoice(VoiceError):
    """The caller must be in a voice channel for that."""

    def __init__(self) -> None:
        super().__init__("Join a voice channel first, then try again.")


class NotConnected(VoiceError):
    """The bot is not in a voice channel of this server."""

    def __init__(self) -> None:
        super().__init__("I'm not in a voice channel here. Use /join first.")


class BusyElsewhere(VoiceError):
    """The bot is speaking in another voice channel of the server."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        super().__init__(
            f"I'm already speaking in {channel}. Join that channel, or use /leave first.")


class VoiceQueueFull(VoiceError):
    """Too many utterances waiting in this server."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"{limit} messages are already waiting to be read here. Wait a moment, or use "
            "/stop to clear the queue.")


class ConnectFailed(VoiceError):
    """Joining the voice channel did not work."""

    def __init__(self, channel: str, reason: str) -> None:
        super().__init__(f"I couldn't join {channel} ({reason}). Check that I may connect and "
                         "speak there, then try again.")


#: The longest /nickname.
MAX_SPOKEN_NAME_CHARS = 32


class NicknameNotAllowed(VoiceError):
    def __init__(self) -> None:
        super().__init__("You need the Manage Nicknames permission to set someone else's "
                         "spoken name.")


class NicknameTooLong(VoiceError):
    def __init__(self) -> None:
        super().__init__(f"A spoken name can be at most {MAX_SPOKEN_NAME_CHARS} characters long.")
