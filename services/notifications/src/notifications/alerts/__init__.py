"""Agents' alerts (E2): who is told what, on which channel (in-app, mail, SMS, push), and their preferences."""
