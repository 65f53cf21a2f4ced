"""Case templates, canned replies, recurring cases (B9, A6), greetings and signatures (B12)."""
