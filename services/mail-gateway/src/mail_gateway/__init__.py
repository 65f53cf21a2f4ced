"""The mail-gateway service: inbound email: SMTP listener, IMAP pollers, raw store, parsing, threading."""
