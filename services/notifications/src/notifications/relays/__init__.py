"""Per-mailbox sending: which SMTP server each mail leaves through (decisions 0227-0229)."""
