"""The progress editor: newest state only, never faster than the interval, final always."""

from __future__ import annotations

import asyncio
import itertools
import time

import discord

from cogs.tts._throttle import ProgressEditor, progress_bar


async def test_coalesces_bursts_and_always_shows_the_final_state() -> None:
    shown: list[tuple[float, int]] = []
    first = asyncio.Event()

    async def edit(state: int) -> None:
        shown.append((time.monotonic(), state))
        first.set()

    editor: ProgressEditor[int] = ProgressEditor(edit, 0.1)
    await editor.update(0)
    await asyncio.wait_for(first.wait(), 5)  # the first state goes out at once
    for state in range(1, 50):
        await editor.update(state)
        await asyncio.sleep(0)  # let the editor run between events, as a real job does
    await editor.finish(99)
    states = [s for _, s in shown]
    # 49 updates inside one interval: at most the newest of them, then the final.
    assert states[0] == 0 and states[-1] == 99 and len(states) <= 3, states
    assert set(states) <= {0, 49, 99}
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(shown)]
    assert all(g >= 0.09 for g in gaps), gaps


async def test_a_failed_edit_does_not_stop_the_next() -> None:
    calls: list[int] = []
    tried = asyncio.Event()

    async def edit(state: int) -> None:
        calls.append(state)
        tried.set()
        if state == 1:
            raise discord.HTTPException(_Resp(), "token expired")  # type: ignore[arg-type]

    editor: ProgressEditor[int] = ProgressEditor(edit, 0.0)
    await editor.update(1)
    await asyncio.wait_for(tried.wait(), 5)
    await asyncio.wait_for(editor.finish(2), 5)
    assert calls == [1, 2]


async def test_a_state_arriving_during_an_edit_is_shown_after_it_without_another_event() -> None:
    shown: list[int] = []
    in_flight, release, second = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def edit(state: int) -> None:
        if state == 1:
            in_flight.set()
            await release.wait()  # Discord is slow to answer
        shown.append(state)
        if state == 2:
            second.set()

    editor: ProgressEditor[int] = ProgressEditor(edit, 0.05)
    await editor.update(1)
    await asyncio.wait_for(in_flight.wait(), 5)
    await editor.update(2)  # while the first edit is on its way
    release.set()
    await asyncio.wait_for(second.wait(), 5)  # no further update() call needed
    assert shown == [1, 2]
    await editor.close()


class _Resp:
    status = 401
    reason = "Unauthorized"


def test_progress_bar() -> None:
    assert progress_bar(0, 4) == "▱▱▱▱ 0%"
    assert progress_bar(50, 4) == "▰▰▱▱ 50%"
    assert progress_bar(130, 4) == "▰▰▰▰ 100%"
