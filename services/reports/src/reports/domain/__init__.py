"""Report rules: what counts as open, how counts become a report. No I/O."""
