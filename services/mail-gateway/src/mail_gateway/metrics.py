"""Prometheus metrics of the mail gateway (served on each process's ops port)."""

from prometheus_client import Counter

SMTP_MESSAGES = Counter(
    "mail_gateway_smtp_messages_total", "SMTP transactions by outcome", ["outcome"]
)  # stored, duplicate, tempfail; oversized (also stored/duplicate), too_big (552), disconnected (0166)
SMTP_RECIPIENTS = Counter("mail_gateway_smtp_recipients_total", "RCPT TO answers by outcome", ["outcome"])
INBOUND_PROCESSED = Counter(
    "mail_gateway_inbound_processed_total", "Inbound mails processed, by kind and status", ["kind", "status"]
)
IMAP_POLLS = Counter("mail_gateway_imap_polls_total", "IMAP mailbox polls by outcome", ["outcome"])  # ok, failed
IMAP_FETCHED = Counter(
    "mail_gateway_imap_fetched_total", "Mails fetched over IMAP by outcome", ["outcome"]
)  # stored, duplicate
IMAP_IDLE_WAKEUPS = Counter("mail_gateway_imap_idle_wakeups_total", "IMAP IDLE announcements of new mail")
INBOUND_ALERTS = Counter(
    "mail_gateway_inbound_alerts_total", "Inbound mails needing a person: quarantined or rejected", ["reason"]
)
