"""The case itself (A1, B2-B11): create, update, the conversation, and the workflow rules."""
