"""Scale-out on PostgreSQL: separate `python -m bot.worker` processes share one queue."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.jobs import JobRequest, Stage
from storage.models import ProjectStatus, TTSProject
from tests.bot.jobs.conftest import follow, wait_for_stage
from tests.conftest import PG_BASE_URL, throwaway_pg_database

pytestmark = [
    pytest.mark.skipif(not PG_BASE_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)"),
    pytest.mark.slow,
    pytest.mark.parametrize("database", ["postgres"], indirect=True),
]

REPO = Path(__file__).resolve().parents[3]
# Worker processes load torch and the model first; the machine's 2 cores are shared.
PROCESS_WAIT_S = 420.0
CLAIMED = re.compile(r"job ([0-9a-f-]{36}) claimed by")


class WorkerProcess:
    """One `python -m bot.worker` process with its own log file."""

    def __init__(self, tmp_path: Path, name: str, db_url: str, model_dir: Path,
                 **jobs: str) -> None:
        self.log_path = tmp_path / f"{name}.log"
        env = dict(os.environ)
        env.update({
            "TTSBOT_CONFIG": str(tmp_path / "absent.toml"),
            "TTSBOT__DATABASE__URL": db_url,
            "TTSBOT__ENGINE__MODEL_DIR": str(model_dir),
            "TTSBOT__ENGINE__DEVICE": "cpu",
            "TTSBOT__ENGINE__THREADS": "1",
            "TTSBOT__STORAGE__BACKEND": "local",
            "TTSBOT__STORAGE__LOCAL_DIR": str(tmp_path / "audio"),
            "TTSBOT__JOBS__WORKERS": "1",
            "TTSBOT__JOBS__HEARTBEAT_S": "0.5",
            "TTSBOT__JOBS__LEASE_S": "3",
            "TTSBOT__JOBS__POLL_INTERVAL_S": "0.5",
            "TTSBOT__JOBS__SHUTDOWN_GRACE_S": "10",
            "HF_HUB_OFFLINE": "1",
        })
        env.update({f"TTSBOT__JOBS__{k.upper()}": v for k, v in jobs.items()})
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.worker"], cwd=REPO, env=env,
            stdout=self._log, stderr=subprocess.STDOUT,
        )

    def claimed(self) -> list[str]:
        return CLAIMED.findall(self.log_path.read_text(errors="replace"))

    async def stop(self, sig: int = signal.SIGTERM, within: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = await asyncio.to_thread(self.proc.wait, within)
        self._log.close()
        return code


@pytest.fixture
def pg_url() -> Iterator[str | None]:
    """Worker processes get a database of their own per test: no process another test left
    connected to the run's shared database can claim their jobs."""
    yield from throwaway_pg_database()


@pytest.fixture
def workers(tmp_path):
    started: list[WorkerProcess] = []
    yield started
    for w in started:  # never leave a process behind, whatever the test did
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait(30)


async def test_three_worker_processes_run_sixty_jobs_exactly_once(
    make_service, database, model_dir, tmp_path, workers
):
    front = await make_service(workers=0, per_user_cap=100, global_cap=100)
    # Tiny, distinct requests (distinct speeds: identical ones would share audio).
    ids = [(await front.submit(JobRequest(user_id=f"u{i % 7}", text="Hi.",
                                          speed=1.5 + i / 120))).project.id
           for i in range(60)]
    workers += [WorkerProcess(tmp_path, f"w{n}", database, model_dir) for n in range(3)]

    finals = await asyncio.gather(*(follow(front, pid, within=PROCESS_WAIT_S) for pid in ids))
    assert all(events[-1].stage is Stage.DONE for events in finals)
    assert [await w.stop() for w in workers] == [0, 0, 0]  # SIGTERM: clean exit

    claims = Counter(pid for w in workers for pid in w.claimed())
    assert set(claims) == {str(pid) for pid in ids} and set(claims.values()) == {1}
    rows = await TTSProject.filter(id__in=ids)
    assert {r.status for r in rows} == {ProjectStatus.COMPLETED}
    assert {r.attempts for r in rows} == {1}
    assert len(list((tmp_path / "audio").glob("*.wav"))) == 60
    per_process = [len(w.claimed()) for w in workers]
    print("jobs per worker process:", per_process)
    assert sum(1 for n in per_process if n) >= 2, "the work was shared"


# Long enough that the worker is still generating when it is killed.
LONG_TEXT = "This is a sentence that keeps the worker busy for a little while, doesn't it?"


async def test_worker_killed_mid_job_the_job_completes_once_after_restart(
    make_service, database, model_dir, tmp_path, workers
):
    front = await make_service(workers=0)
    pid = (await front.submit(JobRequest(user_id="1", text=LONG_TEXT))).project.id
    first = WorkerProcess(tmp_path, "first", database, model_dir)
    workers.append(first)
    await wait_for_stage(front, pid, Stage.GENERATING, within=PROCESS_WAIT_S)
    assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
    row = await TTSProject.get(id=pid)
    assert row.status == ProjectStatus.PROCESSING, "killed mid-job"

    second = WorkerProcess(tmp_path, "second", database, model_dir)
    workers.append(second)
    events = await follow(front, pid, within=PROCESS_WAIT_S)
    assert events[-1].stage is Stage.DONE
    assert await second.stop() == 0

    row = await TTSProject.get(id=pid)
    assert row.status == ProjectStatus.COMPLETED and row.attempts == 2
    assert first.claimed() == [str(pid)] and second.claimed() == [str(pid)]
    assert [p.name for p in (tmp_path / "audio").iterdir()] == [f"{pid}.wav"]
    assert await TTSProject.all().count() == 1
