"""Rules of the portal: pure Python, no I/O."""
