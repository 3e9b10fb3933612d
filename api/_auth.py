"""Bearer-key authentication and per-key rate limits, as aiohttp middlewares."""

from __future__ import annotations

import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from api._keys import USER_ID
from api._schedule import SCHEDULE, requested
from api.errors import BodyTooLarge, RateLimited, Unauthorized

log = logging.getLogger(__name__)

#: Paths anyone may read: probes, the API description, audio links handed out to users, and
#: the web page's own files (which hold no data; the page signs in with a key to get any).
PUBLIC_PREFIXES = ("/healthz", "/api/v1/openapi.json", "/audio/", "/web")


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """A token bucket per caller: `per_minute` requests, refilled smoothly, bursts up to that.

    A bucket untouched for a whole refill (a minute) is full again, the same as no bucket, so
    it is dropped: memory follows the callers of the last minute, not every address ever seen.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        # Least recently used first, so expired buckets are found at the front.
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    @property
    def tracked(self) -> int:
        """How many callers have a bucket now."""
        return len(self._buckets)

    def _expire(self, now: float) -> None:
        refill_s = self.capacity / self.rate
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if now - oldest.stamp < refill_s:
                return
            self._buckets.popitem(last=False)

    def take(self, caller: str) -> None:
        """Spend one request of `caller`'s allowance, or raise RateLimited with the wait."""
        now = self._clock()
        self._expire(now)
        bucket = self._buckets.get(caller)
        if bucket is None:
            bucket = self._buckets[caller] = _Bucket(self.capacity, now)
        self._buckets.move_to_end(caller)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens < 1.0:
            raise RateLimited((1.0 - bucket.tokens) / self.rate)
        bucket.tokens -= 1.0


class KeyRing:
    """API keys -> user ids; an empty ring means the (loopback-only) API is open."""

    def __init__(self, keys: Mapping[str, str]) -> None:
        self._keys = dict(keys)

    @property
    def required(self) -> bool:
        """Whether callers must present a key."""
        return bool(self._keys)

    def user_for(self, header: str | None) -> str:
        """The user id of an `Authorization: Bearer <key>` header, or Unauthorized."""
        scheme, _, key = (header or "").partition(" ")
        if scheme.lower() == "bearer" and key:
            for known, user_id in self._keys.items():
                # Constant-time comparison, so response timing can't reveal a key's prefix.
                if hmac.compare_digest(known.encode(), key.strip().encode()):
                    return user_id
        raise Unauthorized()


def is_public(path: str) -> bool:
    """Whether `path` is served without a key."""
    return path.startswith(PUBLIC_PREFIXES)


def _bucket(request: web.Request, user_id: str | None, bot_users: frozenset[str]) -> str:
    """Whose allowance a request spends: a bot key's is per fairness key (one per Discord
    server, so a shard's many servers don't share one minute's worth), anyone else's per key
    or, without keys, per address. A bot key's scheduling headers are kept for the handler."""
    if user_id is None:
        return f"addr:{request.remote}"
    if user_id in bot_users:
        schedule = requested(request)
        if schedule is not None:
            request[SCHEDULE] = schedule
            if schedule.key is not None:
                return f"bot:{user_id}:{schedule.key}"
    return f"user:{user_id}"


def auth_middleware(
    keys: KeyRing, limiter: RateLimiter, max_body_bytes: int,
    bot_users: frozenset[str] = frozenset(),
) -> Middleware:
    """Check the body size, resolve the caller's key to a user id, and spend its rate limit."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > max_body_bytes:
            raise BodyTooLarge(max_body_bytes)
        if is_public(request.path):
            return await handler(request)
        user_id: str | None = None
        if keys.required:
            try:
                user_id = keys.user_for(request.headers.get("Authorization"))
            except Unauthorized:
                # Wrong keys spend the caller's address allowance: guessing keys is throttled.
                limiter.take(f"addr:{request.remote}")
                raise
        limiter.take(_bucket(request, user_id, bot_users))
        request[USER_ID] = user_id
        return await handler(request)

    return middleware
