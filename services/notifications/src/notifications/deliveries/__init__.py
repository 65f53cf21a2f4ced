"""The delivery log: every outbound message queued, attempted, retried, sent, suppressed or dead."""
