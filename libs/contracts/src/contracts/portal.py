"""Contracts of the customer portal: events on `portal.events`, and what cases answers the portal about a
contact (who they are, whether they see their organisation's cases) and about branding (D1, D10)."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from contracts.envelope import EventPayload
from contracts.forms import FormAnswer, FormFile

SERVICE = "portal"


class MagicLinkRequested(EventPayload):
    """A known contact asked to sign in; notifications mails them the link."""

    EVENT_TYPE = "magic_link_requested"
    contact_id: int
    email: str
    name: str = ""
    link_url: str
    expires_at: datetime


class FormSubmitted(EventPayload):
    """A signed-in contact sent a department form; cases opens their case from it (once per `submission_id`)."""

    EVENT_TYPE = "form_submitted"
    submission_id: str
    contact_id: int
    form_id: int
    form_name: str
    group_id: int | None = None
    answers: list[FormAnswer]
    files: list[FormFile] = []
    submitted_at: datetime


class PasswordLinkPurpose(StrEnum):
    REGISTER = "register"  # a first password: the account is being set up
    RESET = "reset"  # a new password for an account that has one


class ContactPasswordLinkRequested(EventPayload):
    """A contact registered or asked to reset their password; notifications mails them the link."""

    EVENT_TYPE = "contact_password_link_requested"
    contact_id: int
    email: str
    name: str = ""
    purpose: PasswordLinkPurpose
    link_url: str
    expires_at: datetime


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PortalContact(_Model):
    """A contact as the portal sees them: whether their organisation lets them see its cases (D10)."""

    id: int
    name: str
    email: str | None
    organisation_id: int | None = None
    organisation_name: str | None = None
    sees_organisation_cases: bool = False


# -- branding (D1) -----------------------------------------------------------------------------------

LOGO_MAX_BYTES = 256 * 1024
LOGO_TYPES = ("image/png", "image/jpeg", "image/webp")  # never SVG: it can carry script
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _colour(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _COLOUR.match(value):
        raise ValueError("a colour is written #rrggbb, for example #0b5cad")
    return value.lower()


Colour = Annotated[str | None, AfterValidator(_colour)]
MIN_CONTRAST = 4.5  # WCAG AA for normal text
DARK_INK = "#1c2430"


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def header_ink(background: str) -> str:
    """The header's text colour: white or near-black, whichever reads better on its background."""
    return "#ffffff" if contrast(background, "#ffffff") >= contrast(background, DARK_INK) else DARK_INK


class BrandingWrite(_Model):
    """Texts and colours of the portal; empty or missing fields fall back to the default branding."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="", max_length=80, description="The portal's name in its header and tab title.")
    welcome: str = Field(default="", max_length=1000, description="Shown above the sign-in form and on the home page.")
    footer: str = Field(default="", max_length=300, description="The footer line of every page.")
    accent_colour: Colour = Field(
        default=None, description="Buttons and links, #rrggbb; white text on it needs a contrast of 4.5:1."
    )
    header_colour: Colour = Field(
        default=None, description="The header's background, #rrggbb; its text turns white or dark to stay readable."
    )

    @model_validator(mode="after")
    def _readable(self) -> BrandingWrite:
        # buttons carry white text on the accent colour: a pale one would make them unreadable
        if self.accent_colour and contrast(self.accent_colour, "#ffffff") < MIN_CONTRAST:
            raise ValueError(
                f"accent_colour: white text on {self.accent_colour} is hard to read "
                f"(contrast below {MIN_CONTRAST}:1); choose a darker colour"
            )
        return self


class BrandingLogo(_Model):
    """A logo to store: its type and its bytes, base64 (RPC payloads are JSON)."""

    content_type: str = Field(max_length=100)
    data_base64: str = Field(max_length=LOGO_MAX_BYTES * 4 // 3 + 8)


class BrandingRead(_Model):
    """One branding record as stored (`organisation_id` None: the default), or the merged effective one;
    the logo's bytes (base64) come along: it is small, and every page shows it."""

    organisation_id: int | None = None
    title: str = ""
    welcome: str = ""
    footer: str = ""
    accent_colour: str | None = None
    header_colour: str | None = None
    logo: BrandingLogo | None = None
    updated_at: datetime | None = None
