"""The case model's rules: pure Python, no I/O."""
