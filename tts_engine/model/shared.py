"""One `KModel` per process: engines built on the same weights, device and mode share it.

The model is read-only during inference, so sharing is safe; a process running the bot, the
HTTP API and the Wyoming server (or a test session) then holds the weights once.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any

_models: weakref.WeakValueDictionary[Hashable, Any] = weakref.WeakValueDictionary()
_lock = threading.Lock()


def shared_model(key: Hashable, build: Callable[[], Any]) -> Any:
    """The live model for `key`, built by `build()` the first time (and after it is freed)."""
    with _lock:
        model = _models.get(key)
        if model is None:
            model = build()
            _models[key] = model
        return model
