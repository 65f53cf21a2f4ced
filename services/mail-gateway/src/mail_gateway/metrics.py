"""Prometheus metrics of the mail gateway (served on each process's ops port)."""

from prometheus_client import Counter

SMTP_MESSAGES = Counter(
    "mail_gateway_smtp_messages_total", "SMTP transactions by outcome", ["outcome"]
)  # stored, duplicate, tempfail
SMTP_RECIPIENTS = Counter("mail_gateway_smtp_recipients_total", "RCPT TO answers by outcome", ["outcome"])
INBOUND_PROCESSED = Counter(
    "mail_gateway_inbound_processed_total", "Inbound mails processed, by kind and status", ["kind", "status"]
)
