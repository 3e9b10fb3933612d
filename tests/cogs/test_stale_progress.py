"""The reply never claims work that is not happening: a dead worker, a retry, an old token."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from cogs.tts._render import worker_gone
from storage.audio import LocalAudioStore, StoredAudio
from storage.errors import StorageError
from storage.models import ProjectStatus, TTSProject
from tests.cogs.conftest import WAIT_S, GatedEngine, Harness
from tests.cogs.test_tts import _stage


class FlakyStore(LocalAudioStore):
    """Local files, except that the first upload fails as a network outage would."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, "http://files.test")
        self.failures = 1

    async def put(self, project_id: UUID, data: bytes, fmt: str) -> StoredAudio:
        if self.failures:
            self.failures -= 1
            raise StorageError("the storage service timed out")
        return await super().put(project_id, data, fmt)


async def test_after_a_restart_a_job_nobody_runs_is_not_shown_as_generating(
        make_harness, engine) -> None:
    gated = GatedEngine(engine)
    before: Harness = await make_harness(gated, shutdown_grace_s=0.2)
    ia = await before.fake.slash(before.guild, before.alice, "tts", {"text": "Crashed."})
    await ia.wait_original(lambda m: _stage(m["content"]) == "Generating speech", within=WAIT_S)
    await before.stop_bot()
    # As after a crash: the row still says processing, by this process's previous life,
    # whose last heartbeat was a moment ago.
    (project,) = await before.jobs.history(str(before.alice))
    await TTSProject.filter(id=project.id).update(
        status=ProjectStatus.PROCESSING, progress=30,
        worker_id=f"{socket.gethostname()}:{os.getpid()}:dead00",
        heartbeat_at=datetime.now(UTC) - timedelta(seconds=0.5))
    seen = len(before.fake.requests)

    after: Harness = await make_harness(lease_s=10.0)  # well after the first edit
    await ia.wait_original(lambda m: _stage(m["content"]) == "Done", within=WAIT_S)
    stages = [_stage(r.json["content"]) for r in after.fake.requests[seen:]
              if r.method == "PATCH" and r.json and r.json.get("content")]
    # Until the lease runs out and a worker takes it again, the reply says it is waiting.
    assert stages[0] == "Waiting to resume", stages
    # Then it is queued again; "Generating" (when synthesis lasts long enough to be shown at the
    # edit rate) only comes after that.
    generating = [i for i, stage in enumerate(stages) if stage == "Generating speech"]
    assert "Queued" in stages and all(i > stages.index("Queued") for i in generating), stages


async def test_a_storage_retry_says_so_instead_of_queued(make_harness, engine,
                                                        tmp_path: Path) -> None:
    h: Harness = await make_harness(store=FlakyStore(tmp_path / "audio"), retry_backoff_s=30)
    ia = await h.fake.slash(h.guild, h.alice, "tts", {"text": "Upload trouble."})
    msg = await ia.wait_original(lambda m: _stage(m["content"]) not in (
        None, "Queued", "Generating speech", "Encoding", "Storing the audio"), within=15)
    assert _stage(msg["content"]) == "Retrying", msg["content"]
    assert "could not be stored" in msg["content"] and "attempt 2 of 3" in msg["content"]


async def test_after_the_token_expires_the_reply_itself_is_still_edited(
        make_harness, engine) -> None:
    gated = GatedEngine(engine)
    h: Harness = await make_harness(gated)
    ia = await h.fake.slash(h.guild, h.alice, "tts", {"text": "Fifteen minutes later."})
    await ia.wait_original(lambda m: _stage(m["content"]) == "Generating speech", within=WAIT_S)
    h.fake.expired_tokens.add(ia.token)  # Discord's interaction tokens last 15 minutes
    gated.gate.set()
    msg = await ia.wait_original(lambda m: _stage(m["content"]) == "Done", within=WAIT_S)
    assert msg["attachments"][0]["filename"].endswith(".wav")
    channel_edits = [r for r in h.fake.requests if r.method == "PATCH"
                     and r.path == f"/channels/{h.guild.text_channel_id}/messages/{msg['id']}"]
    assert channel_edits  # by channel and message id, as the bot's own message
    assert not [r for r in h.fake.requests if r.method == "POST" and r.path.startswith(
        "/channels/")]  # and no second message posted instead


def test_a_worker_elsewhere_counts_as_gone_only_once_its_heartbeat_is_silent() -> None:
    now = datetime.now(UTC)
    project = TTSProject(status=ProjectStatus.PROCESSING, worker_id="other-host:7:abc123",
                         heartbeat_at=now - timedelta(seconds=4))
    assert not worker_gone(project, 5.0, "this-host:1:def456", now)  # beats every 5 s
    project.heartbeat_at = now - timedelta(seconds=11)
    assert worker_gone(project, 5.0, "this-host:1:def456", now)
    project.status = ProjectStatus.PENDING
    assert not worker_gone(project, 5.0, "this-host:1:def456", now)
