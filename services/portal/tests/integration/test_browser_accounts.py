"""Sign-in, registration, reset, branding and my cases in a real Chromium, checked by axe-core at desk and phone
width (decisions 0251-0253): a customer registers where allowed and is refused where not, sets and resets a
password, signs in both ways, is throttled with a clear message, sees the branding, searches their cases and
their organisation's."""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from portal_testing import Stack, wait_for_link

from chassis.settings import repo_root
from chassis.testing import CHROMIUM_ARGS, CHROMIUM_PATH

SHOTS = Path(os.environ.get("HELPDESK_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="portal-accounts-"))
AXE = repo_root() / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = """async () => {
  const found = await window.axe.run(document, { resultTypes: ["violations"] });
  return found.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join(" | ")}`);
}"""
GOOD = "seven silver kites at dawn"
PNG = base64.b64decode(  # a 32 px orange disc
    "iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAAZ0lEQVR42u3XQQ4AEAxE0d7F3d3QmgMIQbUdMRLr/1a0Iq+dklOd3ZCoKeY0rkZowyrI7fgWwiq+"
    "jAgFWMenCK/4EPE3wDveIQgggIBwAF9CCED4d8yJCGYohRjLIRYTmNUMYjm1PA2li6kG2AoNxwAAAABJRU5ErkJggg=="
)
DESK = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def branded(stack: Stack) -> dict[str, Any]:
    """A default branding with a logo, and an organisation (Northwind) that shares its cases with its members."""
    data = {
        "title": "Northwind Help",
        "welcome": "Sign in to follow your requests to the Northwind service desk.",
        "footer": "Service desk open Monday to Friday, 8 to 16.",
        "accent_colour": "#1f5f3f",
        "header_colour": "#12324a",
    }
    logo = {"content_type": "image/png", "data_base64": base64.b64encode(PNG).decode()}
    stack.rpc.call("cases", "save_portal_branding", organisation_id=None, data=data, logo=logo)
    return stack.organisation("Northwind", "northwind.example", shares_cases=True)


def new_context(browser: Browser, viewport: dict[str, int]) -> BrowserContext:
    phone = viewport["width"] < 500
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)  # type: ignore[arg-type]
    context.add_init_script(path=str(AXE))  # init scripts run outside the page's CSP
    return context


def check_page(page: Page, shot: str | None = None) -> None:
    """No serious or critical axe violation, no sideways scrolling; a screenshot when named."""
    assert page.evaluate(SERIOUS) == [], page.url
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
    if shot:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)


def sign_in_by_link(page: Page, stack: Stack, email: str) -> None:
    before = len(stack.magic_link_events(email, settle=0.1))
    page.goto(f"{stack.portal_url}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    page.goto(wait_for_link(stack, email, count=before + 1)["link_url"])


def sign_in_by_password(page: Page, stack: Stack, email: str, password: str) -> None:
    page.goto(f"{stack.portal_url}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_register_choose_a_password_and_sign_in_both_ways(
    stack: Stack, browser: Browser, branded: dict[str, Any]
) -> None:
    email = "greta@northwind.example"
    context = new_context(browser, DESK)
    page = context.new_page()
    page.goto(f"{stack.portal_url}/login")
    expect(page.get_by_role("link", name="Northwind Help")).to_be_visible()
    expect(page.locator("img.brand-logo")).to_be_visible()
    expect(page.get_by_text("Sign in to follow your requests")).to_be_visible()
    expect(page.get_by_text("Service desk open Monday to Friday")).to_be_visible()
    header_bg = page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert header_bg == "rgb(18, 50, 74)"  # #12324a from the generated stylesheet
    check_page(page, "portal-sign-in-1400")

    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    check_page(page)
    page.get_by_label("Your name").fill("Greta Holm")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    page.goto(stack.password_link(email)["link_url"])
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    check_page(page)
    page.get_by_label("New password", exact=True).fill("qwertyqwerty")
    page.get_by_label("The same password again").fill("qwertyqwerty")
    page.get_by_role("button", name="Save password and sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("too common")
    page.get_by_label("New password", exact=True).fill(GOOD)
    page.get_by_label("The same password again").fill(GOOD)
    page.get_by_role("button", name="Save password and sign in").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is saved")
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    sign_in_by_password(page, stack, email, GOOD)
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    sign_in_by_link(page, stack, email)
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    context.close()


def test_registration_is_refused_for_an_address_of_no_known_organisation(
    stack: Stack, browser: Browser, branded: dict[str, Any]
) -> None:
    context = new_context(browser, DESK)
    page = context.new_page()
    page.goto(f"{stack.portal_url}/register")
    page.get_by_label("Your name").fill("Free Mailer")
    page.get_by_label("E-mail address").fill("free.mailer@gmail.com")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("organisations we work with")
    expect(page.get_by_label("Your name")).to_have_value("Free Mailer")  # nothing typed is lost
    check_page(page)
    context.close()


def test_a_forgotten_password_is_reset_by_mail(stack: Stack, browser: Browser, branded: dict[str, Any]) -> None:
    email = "hugo@northwind.example"
    context = new_context(browser, DESK)
    page = context.new_page()
    page.goto(f"{stack.portal_url}/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Set or reset your password")).to_be_visible()
    check_page(page)
    stack.contact_in(email, branded["id"])
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    page.goto(stack.password_link(email)["link_url"])
    page.get_by_label("New password", exact=True).fill(GOOD)
    page.get_by_label("The same password again").fill(GOOD)
    page.get_by_role("button", name="Save password and sign in").click()
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Email me a link").click()
    reset = stack.password_link(email, count=2)
    assert reset["purpose"] == "reset"
    page.goto(reset["link_url"])
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("another good passphrase")
    page.get_by_label("The same password again").fill("another good passphrase")
    page.get_by_role("button", name="Save password and sign in").click()
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    context.close()


def test_too_many_wrong_passwords_are_answered_with_a_clear_wait(
    stack: Stack, browser: Browser, branded: dict[str, Any]
) -> None:
    context = new_context(browser, PHONE)
    page = context.new_page()
    for _ in range(3):  # PORTAL_SIGNIN_FAILURES_PER_ACCOUNT=3 in this stack
        sign_in_by_password(page, stack, "ivy@northwind.example", "definitely the wrong one")
        expect(page.get_by_role("alert")).to_contain_text("Wrong e-mail address or password.")
    sign_in_by_password(page, stack, "ivy@northwind.example", "definitely the wrong one")
    expect(page.get_by_role("alert")).to_contain_text("Too many attempts. Please wait")
    expect(page.get_by_label("E-mail address")).to_have_value("ivy@northwind.example")
    check_page(page)
    context.close()


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["1400", "390"])
def test_my_cases_search_and_the_organisations_cases(
    stack: Stack, browser: Browser, branded: dict[str, Any], viewport: dict[str, int]
) -> None:
    tag = viewport["width"]
    me, colleague = f"jana{tag}@northwind.example", f"karl{tag}@northwind.example"
    for email in (me, colleague):
        stack.contact_in(email, branded["id"])
    stack.create_case(email=me, title="Printer on floor 2 prints blank pages")
    stack.create_case(email=me, title="New starter needs a laptop")
    closed = stack.create_case(email=me, title="Printer toner ordered")
    stack.rpc.call(
        "cases",
        "update_case",
        case_id=closed["id"],
        changes={"status": "closed", "assignee_id": stack.agent["id"]},
        expected_version=None,
        actor=stack.agent_actor(),
    )
    stack.create_case(email=colleague, title=f"Meeting room {tag} screen has no signal")

    context = new_context(browser, viewport)
    page = context.new_page()
    sign_in_by_link(page, stack, me)
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    expect(page.get_by_role("link", name="New starter needs a laptop")).to_be_visible()
    expect(page.get_by_text(f"Meeting room {tag} screen")).to_have_count(0)
    check_page(page, f"portal-home-{tag}")

    page.get_by_label("Search cases").fill("printer")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Printer on floor 2 prints blank pages")).to_be_visible()
    expect(page.get_by_role("link", name="Printer toner ordered")).to_be_visible()
    expect(page.get_by_role("link", name="New starter needs a laptop")).to_have_count(0)
    page.get_by_label("Show").select_option("closed")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Printer toner ordered")).to_be_visible()
    expect(page.get_by_role("link", name="Printer on floor 2 prints blank pages")).to_have_count(0)
    check_page(page, f"portal-my-cases-search-{tag}")

    page.get_by_role("link", name="My organisation's").click()
    page.get_by_role("link", name="Show all").click()
    expect(page.get_by_role("heading", name="Our organisation's cases")).to_be_visible()
    expect(page.get_by_role("link", name=f"Meeting room {tag} screen has no signal")).to_be_visible()
    check_page(page, f"portal-organisation-cases-{tag}")
    page.get_by_role("link", name=f"Meeting room {tag} screen has no signal").click()
    expect(page.get_by_text("Only they can reply here")).to_be_visible()
    check_page(page)
    context.close()


def test_sign_in_and_registration_fit_a_phone(stack: Stack, browser: Browser, branded: dict[str, Any]) -> None:
    context = new_context(browser, PHONE)
    page = context.new_page()
    page.goto(f"{stack.portal_url}/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    check_page(page, "portal-sign-in-390")
    page.goto(f"{stack.portal_url}/register")
    check_page(page)
    page.keyboard.press("Tab")  # the skip link comes first, and is shown when focused
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    context.close()
