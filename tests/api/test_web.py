"""The web page in a real browser: Debian's chromium, headless, driven by Playwright.

Set WEB_SCREENSHOTS=docs/images to refresh the README's screenshots from these runs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import soundfile as sf
from playwright.async_api import Browser, Page, async_playwright, expect
from yarl import URL

from bot.jobs import JobService
from bot.settings import JobSettings
from storage.audio import LocalAudioStore
from tests.api.conftest import ALICE, Api, MakeApi
from tts_engine import LocalEngine

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    # Playback starts from the page's own click; headless has no speakers to wait for.
    "--autoplay-policy=no-user-gesture-required",
]
TIMEOUT_MS = 60_000
SHOTS = os.environ.get("WEB_SCREENSHOTS")
# Synthesis on a busy 2-core machine takes seconds: wait on what the page shows, for up to this.
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: `scripts/setup.sh --dev` installs Debian's chromium")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    # bypass_csp: the test's own probes (wait_for_function) are evaluated strings, which the
    # page's Content-Security-Policy rightly forbids to anything else.
    context = await browser.new_context(accept_downloads=True, bypass_csp=True)
    opened = await context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    await context.close()
    assert not errors, f"the page raised: {errors}"


async def shot(page: Page, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


async def sign_in(page: Page, api: Api, key: str = "key-alice") -> None:
    """Sign in from the keyboard: type the key, press Enter."""
    await page.goto(api.url("/web/"))
    await page.get_by_label("API key").fill(key)
    await page.keyboard.press("Enter")


@pytest.mark.slow
async def test_wrong_key_is_refused_then_the_right_one_signs_in(page: Page, api: Api) -> None:
    await sign_in(page, api, "not-a-key")
    await expect(page.locator("#status")).to_contain_text("refused")
    await expect(page.locator("#tabs")).to_be_hidden()
    await shot(page, "web-signin.png")
    await page.get_by_label("API key").fill("key-alice")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#who-name")).to_have_text("Signed in as alice")
    await expect(page.locator("#tabs")).to_be_visible()


@pytest.mark.slow
async def test_try_a_voice_plays_while_it_streams_and_downloads(page: Page, api: Api) -> None:
    await sign_in(page, api)
    await expect(page.locator("#voice option")).not_to_have_count(0)
    await page.get_by_label("Language").select_option("b")
    await page.get_by_label("Voice", exact=True).select_option("bf_emma")
    await page.get_by_label("Blend with").select_option("bm_george")
    await page.get_by_label("Mix").select_option("3:1")
    await page.get_by_label("Text").fill("Good morning from the web page.")
    # Keyboard only: focus the button and press Enter.
    await page.get_by_role("button", name="Speak").focus()
    await page.keyboard.press("Enter")
    # The audio element plays: time advances and the meter, fed by the element's own output
    # through Web Audio, saw sound.
    await page.wait_for_function(
        "document.querySelector('#player').currentTime > 0.2"
        " && Number(document.querySelector('#meter').dataset.peak || 0) > 0.001"
    )
    await expect(page.locator("#status")).to_have_text("Done.")
    await shot(page, "web-try.png")

    await page.get_by_label("Download as").select_option("wav")
    async with page.expect_download() as downloading:
        await page.get_by_role("button", name="Download").click()
    download = await downloading.value
    assert download.suggested_filename == "speech.wav"
    samples, rate = sf.read(await download.path())
    assert rate == 24000 and len(samples) > 2400 and abs(samples).max() > 0


async def _second_worker(api: Api, engine: LocalEngine, database: str) -> JobService:
    """A worker process of its own, as `python -m bot worker` runs beside the API."""
    storage = api.ctx.settings.storage
    service = JobService(
        engine, LocalAudioStore(storage.local_dir, storage.public_base_url),
        JobSettings(workers=1, poll_interval_s=0.2, heartbeat_s=1.0), database,
        engine_ready=_ready,
    )
    await service.start()
    return service


async def _ready() -> None:
    """The session engine is loaded already."""


@pytest.mark.slow
async def test_a_project_finishes_live_on_the_page_then_is_deleted(
    page: Page, make_api: MakeApi, api_engine: LocalEngine, database: str
) -> None:
    # No workers: the job waits on the page until one starts.
    api = await make_api(workers=0)
    await sign_in(page, api)
    await expect(page.locator("#voice option")).not_to_have_count(0)
    await page.get_by_label("Text").fill("A project made on the web page.")
    await page.get_by_role("button", name="Save as a project").click()
    card = page.locator("#projects li").first
    await expect(card).to_have_attribute("data-status", "pending")
    await expect(card.locator(".badge")).to_contain_text("waiting")
    tts_id = (await card.get_attribute("id") or "").removeprefix("project-")

    worker = await _second_worker(api, api_engine, database)
    try:
        # No reload: the page hears the progress and shows the finished clip.
        await expect(card).to_have_attribute("data-status", "completed")
        base = api.ctx.settings.storage.public_base_url
        await expect(card.locator("audio")).to_have_attribute("src", f"{base}/audio/{tts_id}.wav")
    finally:
        await worker.stop()
    await shot(page, "web-projects.png")

    delete = card.get_by_role("button", name="Delete")
    await delete.click()
    await expect(delete).to_have_text("Really delete?")
    await delete.click()
    await expect(page.locator(f"#project-{tts_id}")).to_have_count(0)
    await expect(page.locator("#status")).to_have_text("Project deleted.")
    async with api.session.get(api.url(f"/api/v1/tts/{tts_id}"), headers=ALICE) as resp:
        assert resp.status == 404


@pytest.mark.slow
async def test_dictionary_add_hear_and_remove(
    page: Page, api: Api, api_engine: LocalEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    heard: list[str] = []
    real = api_engine._infer
    monkeypatch.setattr(api_engine, "_infer",
                        lambda ps, *a: heard.append(ps) or real(ps, *a))  # type: ignore[func-returns-value]
    await sign_in(page, api)
    await page.get_by_role("link", name="Your dictionary").click()
    await expect(page.locator("#dict-empty")).to_be_visible()
    await page.get_by_label("Word").fill("Kokoro")
    await page.get_by_label("Say it as").fill("/kˈOkəɹO/")
    await page.get_by_role("button", name="Add").click()
    row = page.locator("#dict-rows tr[data-word='Kokoro']")
    await expect(row).to_contain_text("/kˈOkəɹO/")
    await shot(page, "web-dictionary.png")

    await row.get_by_role("button", name="Hear “Kokoro”").click()
    await expect(page.locator("#status")).to_have_text("Said “Kokoro”.")
    await page.wait_for_function("document.querySelector('#dict-player').currentTime > 0")
    assert any("kˈOkəɹO" in phonemes for phonemes in heard), heard

    await row.get_by_role("button", name="Remove “Kokoro”").click()
    await expect(row).to_have_count(0)
    async with api.session.get(api.url("/api/v1/dictionary"), headers=ALICE) as resp:
        assert (await resp.json())["entries"] == []


@pytest.mark.slow
async def test_keyless_loopback_page_is_the_local_user(page: Page, make_api: MakeApi) -> None:
    api = await make_api(keys={})
    await page.goto(api.url("/web"))  # redirected to /web/
    await expect(page.locator("#who-name")).to_have_text("local (this machine, no keys)")
    await expect(page.locator("#page-signin")).to_be_hidden()
    await page.get_by_role("link", name="Your projects").click()
    await expect(page.locator("#projects-empty")).to_be_visible()
    await page.set_viewport_size({"width": 390, "height": 844})  # a phone
    await page.get_by_role("link", name="Try voices").click()
    await shot(page, "web-phone.png")
    # Nothing wider than the phone's screen: no sideways scrolling.
    assert await page.evaluate("document.documentElement.scrollWidth <= 390")


async def test_page_files_are_served_without_a_key_and_carry_no_data(api: Api) -> None:
    for path in ("/web/", "/web/static/app.js", "/web/static/app.css"):
        async with api.session.get(api.url(path)) as resp:
            assert resp.status == 200, path
    # A path climbing out of the static folder (sent as is, not tidied by the client).
    climbing = URL(api.url("/web/static/%2E%2E/%2E%2E/_auth.py"), encoded=True)
    async with api.session.get(climbing) as resp:
        assert resp.status in (403, 404)
        assert "import" not in await resp.text()
    async with api.session.get(api.url("/api/v1/me")) as resp:
        assert resp.status == 401
    async with api.session.get(api.url("/api/v1/me"), headers=ALICE) as resp:
        assert await resp.json() == {"user_id": "alice", "keys_required": True}


async def test_the_page_can_be_turned_off(make_api: MakeApi) -> None:
    api = await make_api(web=False)
    async with api.session.get(api.url("/web/")) as resp:
        assert resp.status == 404
