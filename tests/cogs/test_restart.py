"""A job in flight when the bot restarts still gets its reply edited to the end."""

from __future__ import annotations

from storage.models import ProjectStatus
from tests.cogs.conftest import WAIT_S, GatedEngine, Harness


async def test_restart_with_a_job_in_flight(make_harness, engine) -> None:
    gated = GatedEngine(engine)
    before: Harness = await make_harness(gated, shutdown_grace_s=0.2)
    ia = await before.fake.slash(before.guild, before.alice, "tts", {"text": "Still here."})
    await ia.wait_original(lambda m: "Generating" in m["content"], within=WAIT_S)
    (project,) = await before.jobs.history(str(before.alice))
    assert project.interaction_token == ia.token and project.progress_message_id
    await before.stop_bot()  # shut down mid-synthesis: the job goes back to the queue
    await project.refresh_from_db()
    assert project.status in (ProjectStatus.PENDING, ProjectStatus.PROCESSING)
    edits_before = len(before.fake.requests)

    after: Harness = await make_harness()  # a new process: new client, new job service
    msg = await ia.wait_original(lambda m: "Done" in m["content"] and bool(m["attachments"]),
                                 within=WAIT_S)
    assert msg["attachments"][0]["filename"].endswith(".wav")
    # The new client edited the reply through the webhook with the stored token and message id.
    late = [r for r in after.fake.requests[edits_before:] if r.method == "PATCH"]
    assert late and all(r.path == f"/webhooks/{after.fake.application_id}/{ia.token}/messages/"
                                  f"{msg['id']}" for r in late)
