"""The admin UI in a real browser (Debian's Chromium, headless) against `archer serve`: sign-in, the theme, the
main pages (screenshotted), a test call over the agent's websocket, a simulated campaign watched live, a CSV
import with bad rows, and the live-event latency from publish to text on the page."""

from __future__ import annotations

import json
import re
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from shared.domain import CallDirection, Speaker
from shared.models.events import CallEnded, CallStarted, CallTranscript, channel_for
from tests.conftest import require_service
from tests.e2e.conftest import ARTIFACTS, DEMO_KEY, BrowserFactory, Server, screenshot, sign_in

pytestmark = pytest.mark.slow

DARK_BG = "rgb(10, 14, 26)"
LIGHT_BG = "rgb(255, 255, 255)"

# Records when each live transcript line is painted: its publish time (`data-live-at`) and the page time of
# the first animation frame after it entered the DOM, both on this machine's clock.
LIVE_TIMING_SCRIPT = """
window.__liveSeen = [];
new MutationObserver((mutations) => {
  const found = [];
  for (const mutation of mutations) {
    for (const node of mutation.addedNodes) {
      if (!(node instanceof Element)) continue;
      if (node.matches("[data-live-at]")) found.push(node);
      found.push(...node.querySelectorAll("[data-live-at]"));
    }
  }
  if (!found.length) return;
  requestAnimationFrame(() => {
    const painted = performance.timeOrigin + performance.now();
    for (const el of found) {
      window.__liveSeen.push({ at: el.getAttribute("data-live-at"), text: el.textContent, painted });
    }
  });
}).observe(document, { subtree: true, childList: true });
"""


def _background(page: Any) -> str:
    return str(page.evaluate("getComputedStyle(document.documentElement).backgroundColor"))


def _theme_class(page: Any) -> str:
    return str(page.evaluate("document.documentElement.className"))


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def _report_latency(name: str, samples: list[float], capsys: pytest.CaptureFixture[str]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    summary = {
        "samples": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(_percentile(samples, 95), 1),
        "max_ms": round(max(samples), 1),
        "target_p95_ms": 300,
    }
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(summary, indent=2))
    with capsys.disabled():
        print(
            f"\n{name}: live event publish -> text painted in the page "
            f"(n={summary['samples']}): p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, "
            f"max {summary['max_ms']} ms (target p95 < 300 ms)"
        )


def test_first_visit_is_dark_unless_the_os_asks_for_light(
    archer_server: Server, open_browser: BrowserFactory
) -> None:
    """A fresh profile opens in the dark theme (the seed's #0a0e1a) and follows an OS that asks for light.
    Chromium cannot report "no preference" (it reports light), so the default is shown with an OS in dark
    mode here; the unit tests cover the no-preference case."""
    page = open_browser("dark")
    page.goto(f"{archer_server.base_url}/")
    page.wait_for_url(re.compile(r"/sign-in"))
    assert "dark" in _theme_class(page)
    assert _background(page) == DARK_BG
    screenshot(page, "sign-in-dark")
    light = open_browser("light")
    light.goto(f"{archer_server.base_url}/sign-in")
    assert "light" in _theme_class(light)
    assert _background(light) == LIGHT_BG
    screenshot(light, "sign-in-light")


def test_sign_in_with_an_api_key(archer_server: Server, open_browser: BrowserFactory) -> None:
    """A wrong key is refused with a clear message; the demo key opens the dashboard, signed in to Demo
    Bank, and signing out returns to the sign-in page."""
    archer_server.require_route("/organization", "issue 4 (REST API)")
    page = open_browser()
    page.goto(f"{archer_server.base_url}/calls")
    page.wait_for_url(re.compile(r"/sign-in\?next=%2Fcalls"))
    page.get_by_label("API key").fill("ak_not-a-key")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("That API key is not valid, or it was revoked.").wait_for()
    page.get_by_label("API key").fill(DEMO_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Calls", exact=True).wait_for()
    assert page.url.endswith("/calls")
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menu").get_by_text("Demo Bank").wait_for()
    page.get_by_role("menuitem", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in"))


def test_the_theme_toggle_switches_to_light_and_survives_a_reload(
    archer_server: Server, open_browser: BrowserFactory
) -> None:
    """The user menu's toggle switches to the light palette, which is kept after a reload."""
    page = open_browser("dark")
    sign_in(page, archer_server)
    assert _background(page) == DARK_BG
    page.get_by_role("button", name="User menu").click()
    toggle = page.get_by_role("menuitemcheckbox", name="Dark theme")
    assert toggle.get_attribute("aria-checked") == "true"
    toggle.click()
    assert "light" in _theme_class(page)
    page.wait_for_function(f"getComputedStyle(document.documentElement).backgroundColor === '{LIGHT_BG}'")
    page.reload()
    page.get_by_role("heading", name="Dashboard", exact=True).wait_for()
    assert "light" in _theme_class(page)
    assert _background(page) == LIGHT_BG
    screenshot(page, "dashboard-light")


MAIN_PAGES = [
    ("/", "Dashboard", "dashboard"),
    ("/calls", "Calls", "calls"),
    ("/customers", "Customers", "customers"),
    ("/customers/import", "Import customers", "customer-import"),
    ("/campaigns", "Campaigns", "campaigns"),
    ("/campaigns/new", "New campaign", "campaign-new"),
    ("/tactics", "Tactics", "tactics"),
    ("/prompts", "Prompts", "prompts"),
    ("/policy", "Negotiation policy", "policy"),
    ("/test-call", "Test call", "test-call"),
    ("/settings", "Settings", "settings"),
]


def test_main_pages_render_and_are_screenshotted(archer_server: Server, open_browser: BrowserFactory) -> None:
    """Every main page opens from a direct link (SPA fallback), shows its heading and is screenshotted; the
    pages whose data is seeded show it (tactics, the policy, customers)."""
    page = open_browser()
    sign_in(page, archer_server)
    for path, heading, name in MAIN_PAGES:
        page.goto(f"{archer_server.base_url}{path}")
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        page.wait_for_load_state("networkidle")
        screenshot(page, name)
    if archer_server.has_route("/customers"):
        page.goto(f"{archer_server.base_url}/customers")
        first = page.get_by_role("table", name="Customers").get_by_role("link").first
        name = first.inner_text()
        first.click()
        page.get_by_role("heading", name=name).wait_for()
        page.get_by_role("table", name="Accounts").wait_for()
        page.wait_for_load_state("networkidle")
        screenshot(page, "customer-detail")
    if archer_server.has_route("/tactics"):
        page.goto(f"{archer_server.base_url}/tactics")
        page.locator("a[href^='/tactics/']").nth(1).click()
        page.get_by_role("heading", name="Techniques").wait_for()
        screenshot(page, "tactic-editor")


def _first_customer(server: Server) -> dict[str, Any]:
    listing = server.api("GET", "/customers", params={"limit": 1, "segment": "mid_stage"}).json()
    return dict(server.api("GET", f"/customers/{listing['data'][0]['id']}").json())


def test_a_test_call_gets_the_greeting_and_reaches_verification(
    archer_server: Server, open_browser: BrowserFactory
) -> None:
    """The test-call page talks to the agent over the Line websocket as a chosen customer: the greeting
    arrives, the customer confirms who they are and gives the last 4 and postal code, and the agent's
    verify_identity tool call appears beside the conversation, passed."""
    archer_server.require_route("/customers", "issue 4 (REST API)")
    archer_server.require_agent()
    customer = _first_customer(archer_server)
    page = open_browser()
    sign_in(page, archer_server)
    page.goto(f"{archer_server.base_url}/test-call?customer={customer['id']}")
    page.get_by_test_id("picked-customer").wait_for()
    page.get_by_role("button", name="Start call").click()
    agent_turns = page.get_by_test_id("turn-agent")
    say = page.get_by_label("Say to the agent")

    def answer(text: str) -> None:
        heard = agent_turns.count()
        say.fill(text)
        page.get_by_role("button", name="Say", exact=True).click()
        page.wait_for_function(
            "n => document.querySelectorAll('[data-testid=turn-agent]').length > n", arg=heard, timeout=15_000
        )

    # On an outbound call the person picking up may speak first; the agent greets either way.
    try:
        agent_turns.first.wait_for(timeout=4_000)
    except PlaywrightTimeout:
        answer("Hello?")
    assert agent_turns.first.inner_text().strip()
    answer("Yes, speaking.")
    answer(f"Sure. The last four are {customer['account_last_4']}, and my ZIP is {customer['postal_code']}.")
    page.locator("[data-testid=tool-call][data-tool=verify_identity][data-passed=true]").wait_for(
        timeout=20_000
    )
    screenshot(page, "test-call")


def test_a_simulated_campaign_reaches_100_percent_while_its_calls_appear_live(
    archer_server: Server, open_browser: BrowserFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """A small campaign created and started from the UI runs against simulated customers: its progress bar
    reaches 100 % and its calls appear on the dashboard, with their transcripts, while they happen."""
    archer_server.require_route("/campaigns", "issue 5 (campaigns)")
    archer_server.require_route("/customers", "issue 4 (REST API)")
    archer_server.require_agent()
    listing = archer_server.api("GET", "/customers", params={"limit": 3, "segment": "mid_stage"}).json()
    picked = [customer["name"] for customer in listing["data"]]

    dashboard = open_browser()
    dashboard.add_init_script(LIVE_TIMING_SCRIPT)
    sign_in(dashboard, archer_server)
    dashboard.get_by_test_id("live-status").and_(dashboard.locator("[data-status=live]")).wait_for()

    page = open_browser()
    sign_in(page, archer_server)
    page.goto(f"{archer_server.base_url}/campaigns/new")
    page.get_by_label("Name").fill(f"E2E campaign {uuid.uuid4().hex[:6]}")
    for name in picked:
        page.get_by_label("Search a customer").fill(name)
        page.get_by_role("option", name=re.compile(re.escape(name))).first.click()
    page.get_by_role("button", name="+ Add tactic").click()
    page.get_by_role("button", name="Create campaign").click()
    page.get_by_role("button", name="Start", exact=True).click()
    progress = page.get_by_test_id("campaign-progress")
    progress.wait_for()
    dashboard.get_by_test_id("live-call").first.wait_for(timeout=60_000)
    screenshot(dashboard, "dashboard-live-calls")
    page.locator("[data-testid=campaign-progress][data-percent='100']").wait_for(timeout=180_000)
    screenshot(page, "campaign-complete")
    seen = dashboard.evaluate("window.__liveSeen")
    samples = [entry["painted"] - datetime.fromisoformat(entry["at"]).timestamp() * 1000 for entry in seen]
    assert samples, "no live transcript line reached the dashboard"
    _report_latency("latency-campaign", samples, capsys)


def test_a_csv_import_reports_its_bad_rows(archer_server: Server, open_browser: BrowserFactory) -> None:
    """Importing a CSV with good and bad rows stores the good ones and lists every bad row with its line
    number, the column at fault and why."""
    archer_server.require_route("/customers/import", "issue 4 (REST API)")
    suffix = uuid.uuid4().hex[:6].upper()
    csv = "\n".join(
        [
            "external_ref,name,phone_number,postal_code,state,account_external_ref,account_last_4,balance",
            f"E2E-{suffix}-1,Morgan Fairweather,(602) 555-0199,85004,AZ,E2E-A-{suffix}-1,2468,950.00",
            f"E2E-{suffix}-2,Casey Bad Phone,not-a-phone,85004,AZ,E2E-A-{suffix}-2,1357,100.00",
            f"E2E-{suffix}-3,Drew Bad Zip,(602) 555-0198,ABCDE,AZ,E2E-A-{suffix}-3,1122,300.00",
        ]
    )
    page = open_browser()
    sign_in(page, archer_server)
    page.goto(f"{archer_server.base_url}/customers/import")
    page.get_by_label("CSV rows").fill(csv)
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_test_id("import-report").wait_for()
    assert page.get_by_test_id("import-created").inner_text() == "1"
    assert page.get_by_test_id("import-rejected").inner_text() == "2"
    rows = page.get_by_test_id("import-error")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").first.inner_text() == "3"
    assert "phone" in rows.nth(0).inner_text()
    assert rows.nth(1).locator("td").first.inner_text() == "4"
    assert "postal_code" in rows.nth(1).inner_text()
    screenshot(page, "customer-import-report")


def test_live_events_reach_the_dashboard_and_their_latency_is_measured(
    archer_server: Server, open_browser: BrowserFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """A call's events published on the event bus (Redis, as the agent host publishes them) appear on the
    dashboard in order as they are published; publish-to-paint latency is measured and printed."""
    redis_url = require_service("Redis", archer_server.redis_url, "ARCHER_TEST_REDIS_URL")
    import redis

    org_id = uuid.UUID(archer_server.organization_id)
    page = open_browser()
    page.add_init_script(LIVE_TIMING_SCRIPT)
    sign_in(page, archer_server)
    page.locator("[data-testid=live-status][data-status=live]").wait_for()

    bus = redis.Redis.from_url(redis_url)
    channel = "archer:" + channel_for(org_id)  # the RedisCache prefix of `archer serve`
    call_id = uuid.uuid4()

    def publish(event: Any) -> None:
        bus.publish(channel, event.model_dump_json())

    publish(
        CallStarted(
            organization_id=org_id,
            at=datetime.now(UTC),
            call_id=call_id,
            customer_id=None,
            customer_name="Latency Probe",
            direction=CallDirection.OUTBOUND,
        )
    )
    page.get_by_test_id("live-call").filter(has_text="Latency Probe").wait_for()
    lines = 50
    for sequence in range(1, lines + 1):
        publish(
            CallTranscript(
                organization_id=org_id,
                at=datetime.now(UTC),
                call_id=call_id,
                sequence=sequence,
                speaker=Speaker.AGENT if sequence % 2 else Speaker.CUSTOMER,
                text=f"probe line {sequence}",
            )
        )
        time.sleep(0.04)  # a conversation's pace, not a measurement
    page.get_by_text(f"probe line {lines}", exact=False).wait_for()
    publish(
        CallEnded(
            organization_id=org_id, at=datetime.now(UTC), call_id=call_id, outcome=None, duration_seconds=3
        )
    )
    seen = [entry for entry in page.evaluate("window.__liveSeen") if "probe line" in entry["text"]]
    texts = [re.search(r"probe line (\d+)", entry["text"]).group(1) for entry in seen]  # type: ignore[union-attr]
    assert texts == [str(n) for n in range(1, lines + 1)]
    samples = [entry["painted"] - datetime.fromisoformat(entry["at"]).timestamp() * 1000 for entry in seen]
    screenshot(page, "dashboard-live")
    bus.close()
    _report_latency("latency-bus-to-page", samples, capsys)


def test_the_ui_is_served_with_its_spa_fallback(archer_server: Server) -> None:
    """Deep links get the SPA's index.html; the built assets are served; unknown API paths stay problems."""
    page = httpx.get(f"{archer_server.base_url}/campaigns/some-id", timeout=10)
    assert page.status_code == 200 and '<div id="root">' in page.text
    script = re.search(r'src="(/assets/[^"]+\.js)"', page.text)
    assert script is not None
    assert httpx.get(f"{archer_server.base_url}{script.group(1)}", timeout=10).status_code == 200
    assert httpx.get(f"{archer_server.base_url}/api/v1/nope", timeout=10).status_code == 404
