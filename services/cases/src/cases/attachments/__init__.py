"""Attachments (B6): files on cases and messages, bytes in the blob store, rows in the database."""
