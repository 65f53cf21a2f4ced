"""Department forms (A3, D3): definitions, and the answers a case was opened with."""
