"""Rules of the gateway: pure Python, no I/O."""
