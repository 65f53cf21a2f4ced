"""The portal's branding cache: reused for its time, the last known (or plain) look while cases does not answer,
without every page waiting for cases again; the default for an organisation that is gone. The stylesheet it
generates holds only custom properties."""

from __future__ import annotations

import asyncio
from typing import Any

from contracts import errors
from contracts.portal import BrandingRead
from portal.web.branding import DEFAULT_TITLE, BrandingCache, from_read


class FakeCases:
    """Stands in for the cases RPC (pure logic under test); answers are queued per call."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls: list[int | None] = []

    async def get_portal_branding(self, *, organisation_id: int | None = None, effective: bool = False) -> Any:
        assert effective
        self.calls.append(organisation_id)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _cache(cases: FakeCases, ttl: float) -> BrandingCache:
    return BrandingCache(cases, ttl=ttl)  # type: ignore[arg-type]


def test_a_branding_is_reused_for_its_time() -> None:
    cases = FakeCases(BrandingRead(title="Helpline", accent_colour="#5a2d82"))
    cache = _cache(cases, ttl=60)
    first = asyncio.run(cache.get(None))
    second = asyncio.run(cache.get(None))
    assert first is second and first.title == "Helpline" and cases.calls == [None]
    assert first.css == ":root {\n  --accent: #5a2d82;\n}\n"


def test_while_cases_does_not_answer_the_last_look_stays_and_pages_do_not_wait() -> None:
    down = errors.DomainError(errors.SERVICE_UNAVAILABLE, "rpc timed out")
    cases = FakeCases(BrandingRead(title="Helpline"), down)
    cache = _cache(cases, ttl=0)
    assert asyncio.run(cache.get(None)).title == "Helpline"
    assert asyncio.run(cache.get(None)).title == "Helpline"  # cases failed: the last one seen
    assert asyncio.run(cache.get(None)).title == "Helpline"  # and it is not asked again at once
    assert cases.calls == [None, None]
    plain = _cache(FakeCases(down), ttl=0)
    assert asyncio.run(plain.get(7)).title == DEFAULT_TITLE


def test_an_organisation_that_is_gone_gets_the_default() -> None:
    gone = errors.NotFound(message="no such organisation")
    cases = FakeCases(gone, BrandingRead(title="Default desk"))
    assert asyncio.run(_cache(cases, ttl=0).get(9)).title == "Default desk"
    assert cases.calls == [9, None]


def test_the_header_gets_readable_ink_and_the_version_follows_the_content() -> None:
    dark = from_read(BrandingRead(header_colour="#102040"))
    light = from_read(BrandingRead(header_colour="#f4f6f9"))
    assert "--header-ink: #ffffff;" in dark.css and "--header-ink: #1c2430;" in light.css
    assert dark.version != light.version
    assert from_read(BrandingRead()).css == ""  # nothing set: no stylesheet at all
