"""The Node service's rate-limit bypasses, and limits per kind of request with their windows."""

from __future__ import annotations

import asyncio

import pytest

from adapters.memory.clock import FixedClock
from adapters.memory.load_gauge import FixedLoadGauge
from adapters.memory.rate_limiter import MemoryRateLimiter
from application.admit_request import AdmitRequest, Visit
from application.tenant_domains import TenantDomains
from domain.clients import TrustedProxies
from domain.rate_limit import (
    Bypasses,
    RateLimitPolicy,
    RequestKind,
    WindowStrategy,
    host_matches,
    is_bot,
)
from tests.support.visits import visit_to

IMAGE = "/media_stream-image/media/acme/uploads/a.jpg/10/10/cover/center/FFF/0/80.png"
OUTSIDE = "198.51.100.1"
INSIDE = "10.1.2.3"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def policy(**bypass: object) -> RateLimitPolicy:
    return RateLimitPolicy(
        window_ms=60_000,
        max_requests=3,
        image_max_requests=2,
        strategy=WindowStrategy.FIXED,
        image_window_ms=10_000,
        health_window_ms=5_000,
        health_max_requests=4,
        bypasses=Bypasses(**bypass),  # type: ignore[arg-type]
    )


def admission(rules: RateLimitPolicy, tenants: TenantDomains | None = None) -> AdmitRequest:
    return AdmitRequest(
        policy=rules,
        limiter=MemoryRateLimiter(FixedClock(1_000_000.0)),
        gauge=FixedLoadGauge(),
        proxies=TrustedProxies(),
        tenant_hosts=tenants,
    )


def answers(admit: AdmitRequest, visit: Visit, times: int) -> list[str]:
    """'free' (not limited), 'ok' or 'refused' for each of `times` requests."""

    async def scenario() -> list[str]:
        decisions = [await admit(visit) for _ in range(times)]
        return ["free" if d is None else "ok" if d.allowed else "refused" for d in decisions]

    return asyncio.run(scenario())


def visit(path: str, peer: str = OUTSIDE, **headers: str) -> Visit:
    return visit_to(path, peer, **headers)


def test_each_kind_has_its_own_limit_and_window() -> None:
    rules = policy()

    assert (rules.rule(RequestKind.IMAGE).limit, rules.rule(RequestKind.IMAGE).window_ms) == (
        2,
        10_000,
    )
    assert (rules.rule(RequestKind.HEALTH).limit, rules.rule(RequestKind.HEALTH).window_ms) == (
        4,
        5_000,
    )
    assert (rules.rule(RequestKind.API).limit, rules.rule(RequestKind.API).window_ms) == (3, 60_000)
    default_window = RateLimitPolicy(60_000, 3, 2, WindowStrategy.FIXED)
    assert default_window.rule(RequestKind.IMAGE).window_ms == 60_000


def test_health_probes_are_free_unless_the_bypass_is_off_then_they_have_their_limit() -> None:
    probe = visit("/health/ready")

    assert answers(admission(policy()), probe, 6) == ["free"] * 6
    limited = admission(policy(health_checks=False))
    assert answers(limited, probe, 6) == ["ok"] * 4 + ["refused"] * 2


def test_the_breaker_reset_route_is_an_admin_route_never_a_free_health_probe() -> None:
    reset = visit_to("/health/circuit-breaker/reset", OUTSIDE, method="POST")

    assert reset.kind is RequestKind.API
    assert visit_to("/health/circuit-breaker/reset", OUTSIDE).kind is RequestKind.HEALTH
    assert answers(admission(policy()), reset, 4) == ["ok"] * 3 + ["refused"]


def test_static_assets_are_free_but_an_image_route_ending_in_png_is_not() -> None:
    admit = admission(policy())

    assert answers(admit, visit("/default.png"), 5) == ["free"] * 5
    assert answers(admit, visit("/robots.txt"), 4) == ["ok"] * 3 + ["refused"]
    assert answers(admit, visit(IMAGE), 3) == ["ok", "ok", "refused"]
    assert answers(admission(policy(static_assets=False)), visit("/default.png"), 4)[-1] == (
        "refused"
    )
    assert visit("/assets/App.CSS").kind is RequestKind.ASSET
    assert visit(IMAGE).kind is RequestKind.IMAGE


def test_a_crawler_is_free_from_an_internal_address_only() -> None:
    admit = admission(policy())

    assert answers(admit, visit(IMAGE, INSIDE, user_agent=GOOGLEBOT), 4) == ["free"] * 4
    assert answers(admit, visit(IMAGE, OUTSIDE, user_agent=GOOGLEBOT), 3)[-1] == "refused"
    assert answers(admit, visit(IMAGE, "127.0.0.1", user_agent="curl/8.5"), 3)[-1] == "refused"
    no_bots = admission(policy(bots=False))
    assert answers(no_bots, visit(IMAGE, INSIDE, user_agent=GOOGLEBOT), 3)[-1] == "refused"
    assert is_bot("facebookexternalhit/1.1")
    assert is_bot("Slackbot-LinkExpanding 1.0")
    assert not is_bot("")
    assert not is_bot("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0")


def test_an_internal_caller_from_a_whitelisted_page_is_free() -> None:
    admit = admission(policy(whitelisted_domains=("example.com", "*.shop.example")))
    storefront = {"referer": "https://www.example.com/products/1"}
    cms = {"origin": "https://shop.example"}

    assert answers(admit, visit(IMAGE, INSIDE, **storefront), 4) == ["free"] * 4
    assert answers(admit, visit(IMAGE, INSIDE, **cms), 4) == ["free"] * 4
    assert answers(admit, visit(IMAGE, OUTSIDE, **storefront), 3)[-1] == "refused"
    other = {"referer": "https://example.com.evil.test/"}
    assert answers(admit, visit(IMAGE, INSIDE, **other), 3)[-1] == "refused"
    garbage = {"referer": "http://[not-a-host/"}
    assert answers(admit, visit(IMAGE, INSIDE, **garbage), 3)[-1] == "refused"


def test_an_internal_caller_from_a_tenant_domain_is_free() -> None:
    tenants = TenantDomains(enabled=True)
    tenants.replace(frozenset({"acme-shop.example"}), now=0.0)
    admit = admission(policy(), tenants)

    from_tenant = visit(IMAGE, INSIDE, referer="https://acme-shop.example/cart")
    assert answers(admit, from_tenant, 4) == ["free"] * 4
    elsewhere = visit(IMAGE, INSIDE, referer="https://unknown.example/")
    assert answers(admit, elsewhere, 3)[-1] == "refused"


@pytest.mark.parametrize(
    ("host", "matches"),
    [
        ("example.com", True),
        ("EXAMPLE.com.", True),
        ("cdn.example.com", True),
        ("shop.example", True),
        ("a.b.shop.example", True),
        ("notexample.com", False),
        ("example.com.evil.test", False),
        ("", False),
    ],
)
def test_whitelist_patterns(host: str, matches: bool) -> None:
    assert host_matches(host, ("example.com", "*.shop.example")) is matches


def test_what_is_remembered_of_a_caller_follows_the_tenant_domains_and_the_policy() -> None:
    """What the policy says of a visit is remembered per visit; the tenants' domains (they
    refresh while serving) and a reloaded policy still count from the next request on."""
    tenants = TenantDomains(enabled=True)
    tenants.replace(frozenset({"other.example"}), now=0.0)
    admit = admission(policy(), tenants)
    from_shop = visit(IMAGE, INSIDE, referer="https://acme-shop.example/cart")

    assert answers(admit, from_shop, 2) == ["ok", "ok"]
    tenants.replace(frozenset({"acme-shop.example"}), now=1.0)
    assert answers(admit, from_shop, 2) == ["free", "free"]
    tenants.replace(frozenset(), now=2.0)
    assert answers(admit, from_shop, 1) == ["refused"]  # counted again, and over the limit

    admit.use_policy(policy(whitelisted_domains=("acme-shop.example",)))
    assert answers(admit, from_shop, 2) == ["free", "free"]
    admit.use_policy(policy(static_assets=False))
    asset = visit("/default.png", INSIDE)
    assert answers(admit, asset, 4) == ["ok", "ok", "ok", "refused"]
