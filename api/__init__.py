"""HTTP and Wyoming front doors.

`main(settings)` runs them alone (`python -m bot api`); the bot process calls `start_api(runtime)`
and `start_wyoming(runtime)` when `[api] enabled` / `[wyoming] enabled`, and `.stop()`s the
handles they return at shut-down.
"""

from __future__ import annotations

from api._standalone import main
from api.server import ApiServer, check_bind, start_api, start_wyoming
from api.wyoming_tts import WyomingServer

__all__ = ["ApiServer", "WyomingServer", "check_bind", "main", "start_api", "start_wyoming"]
