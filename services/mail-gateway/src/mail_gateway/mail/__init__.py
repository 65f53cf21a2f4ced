"""Pure email logic for the mail gateway: parsing, sanitising, classifying, reply splitting."""

from mail_gateway.mail.classify import BounceInfo, Classification, classify
from mail_gateway.mail.parse import parse_message
from mail_gateway.mail.parsed import Address, Attachment, ParsedMail
from mail_gateway.mail.quote import split_reply
from mail_gateway.mail.sanitize import html_to_text, sanitize_html

__all__ = [
    "Address",
    "Attachment",
    "BounceInfo",
    "Classification",
    "ParsedMail",
    "classify",
    "html_to_text",
    "parse_message",
    "sanitize_html",
    "split_reply",
]
