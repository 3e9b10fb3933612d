"""The API's rate limiter: buckets of callers gone quiet expire, so memory follows the callers
of the last minute instead of every address ever seen; limits still hold meanwhile."""

from __future__ import annotations

import pytest

from api._auth import RateLimiter
from api.errors import RateLimited


def test_buckets_of_quiet_callers_expire():
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    for n in range(10_000):  # a scan from many addresses
        limiter.take(f"addr:10.0.{n // 256}.{n % 256}")
    assert limiter.tracked == 10_000
    now[0] = 61.0  # a whole refill later every one of them is full again
    limiter.take("addr:192.0.2.1")
    assert limiter.tracked == 1


def test_a_caller_still_limited_keeps_its_bucket():
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    limiter.take("user:alice")
    limiter.take("user:alice")
    now[0] = 1.0
    limiter.take("user:bob")  # other callers' traffic must not reset alice's allowance
    with pytest.raises(RateLimited):
        limiter.take("user:alice")
