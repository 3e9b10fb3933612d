"""The queue's database operations: every state change is one conditional UPDATE.

A change names the state it expects (`status`, and the lease holder for running jobs), so two
processes can never both move the same row: the loser's UPDATE matches nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from tortoise.expressions import F, Q
from tortoise.functions import Count

from bot.jobs.errors import WorkerLost
from storage import db
from storage.models import ProjectStatus, TTSProject

from .types import PROGRESS_CLAIMED

log = logging.getLogger(__name__)

PENDING, PROCESSING = ProjectStatus.PENDING, ProjectStatus.PROCESSING

# One statement claims the oldest due job; SKIP LOCKED lets concurrent workers pass each other.
_PG_CLAIM = """
UPDATE tts_projects
   SET status = 'processing', progress = $2, attempts = attempts + 1, worker_id = $1,
       started_at = $3, heartbeat_at = $3, updated_at = $3, not_before = NULL
 WHERE id = (
        SELECT id FROM tts_projects
         WHERE status = 'pending' AND (not_before IS NULL OR not_before <= $3)
         ORDER BY created_at, id
         LIMIT 1
         FOR UPDATE SKIP LOCKED)
RETURNING id
"""


def now() -> datetime:
    """The current time, timezone-aware (what Tortoise stores)."""
    return datetime.now(UTC)


async def claim(worker_id: str) -> TTSProject | None:
    """Atomically take the oldest due pending job for `worker_id`, or None."""
    if db.dialect() == "postgres":
        rows = await db.connection().execute_query_dict(
            _PG_CLAIM, [worker_id, PROGRESS_CLAIMED, now()]
        )
        return await TTSProject.get_or_none(id=rows[0]["id"]) if rows else None
    return await _claim_cas(worker_id)


async def _claim_cas(worker_id: str) -> TTSProject | None:
    # Without row locks: pick candidates, then compare-and-set. Safe across processes too, but
    # SQLite is meant to have one process owning the queue.
    t = now()
    due = Q(not_before__isnull=True) | Q(not_before__lte=t)
    candidates = (
        await TTSProject.filter(due, status=PENDING)
        .order_by("created_at", "id")
        .limit(5)
        .values_list("id", flat=True)
    )
    for pid in candidates:
        won = await TTSProject.filter(id=pid, status=PENDING).update(
            status=PROCESSING, progress=PROGRESS_CLAIMED, attempts=F("attempts") + 1,
            worker_id=worker_id, started_at=t, heartbeat_at=t, not_before=None,
        )
        if won:
            return await TTSProject.get_or_none(id=pid)
    return None


async def update_running(pid: UUID, holder: str, /, **values: Any) -> bool:
    """Change a job `holder` runs; False when it no longer does (cancelled, recovered)."""
    n = await TTSProject.filter(id=pid, status=PROCESSING, worker_id=holder).update(**values)
    return n == 1


async def heartbeat(pid: UUID, worker_id: str) -> bool:
    """Renew the lease; False when the job was taken away."""
    return await update_running(pid, worker_id, heartbeat_at=now())


async def release(pid: UUID, worker_id: str) -> bool:
    """Give a running job back to the queue untouched (shutdown): the attempt does not count."""
    return await update_running(
        pid, worker_id, status=PENDING, progress=0, worker_id=None, heartbeat_at=None,
        attempts=F("attempts") - 1,
    )


async def retry_later(pid: UUID, worker_id: str, error: str, delay_s: float) -> bool:
    """Back to pending after a transient fault, not claimable for `delay_s`."""
    return await update_running(
        pid, worker_id, status=PENDING, progress=0, worker_id=None, heartbeat_at=None,
        error=error, not_before=now() + timedelta(seconds=delay_s),
    )


async def fail(pid: UUID, worker_id: str, error: str) -> bool:
    """Finish a running job as failed with a reason a user can read."""
    return await update_running(
        pid, worker_id, status=ProjectStatus.FAILED, error=error, finished_at=now(),
        worker_id=None,
    )


async def requeue_stale(lease_s: float, max_attempts: int) -> tuple[list[UUID], list[UUID]]:
    """Jobs whose worker went silent: back to pending, or failed after `max_attempts`.

    Returns (requeued ids, failed ids).
    """
    cutoff = now() - timedelta(seconds=lease_s)
    stale = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, updated_at__lt=cutoff)
    rows = await TTSProject.filter(stale, status=PROCESSING).values_list("id", "attempts")
    requeued: list[UUID] = []
    failed: list[UUID] = []
    for pid, attempts in rows:
        # Re-check staleness in the UPDATE itself: a heartbeat that just arrived wins.
        match = TTSProject.filter(stale, id=pid, status=PROCESSING)
        if attempts >= max_attempts:
            if await match.update(status=ProjectStatus.FAILED, error=str(WorkerLost(attempts)),
                                  finished_at=now(), worker_id=None):
                failed.append(pid)
        elif await match.update(status=PENDING, progress=0, worker_id=None, heartbeat_at=None):
            requeued.append(pid)
    if requeued or failed:
        log.warning("recovered %d stale jobs, gave up on %d", len(requeued), len(failed))
    return requeued, failed


async def position(project: TTSProject) -> int | None:
    """1-based place among pending jobs (1 = next to run); None unless pending."""
    if project.status != PENDING:
        return None
    ahead = await TTSProject.filter(
        Q(created_at__lt=project.created_at)
        | Q(created_at=project.created_at, id__lt=project.id),
        status=PENDING,
    ).count()
    return ahead + 1


async def active_counts(user_id: str) -> tuple[int, int]:
    """(this user's, everyone's) queued or running jobs."""
    active = TTSProject.filter(status__in=[PENDING, PROCESSING])
    return await active.filter(user_id=user_id).count(), await active.count()


async def counts_by_status() -> dict[str, int]:
    """Every status with how many projects are in it (0 for those with none)."""
    counts = {str(status): 0 for status in ProjectStatus}
    rows = await TTSProject.annotate(n=Count("id")).group_by("status").values_list("status", "n")
    for status, n in rows:
        counts[str(status)] = int(n)
    return counts
