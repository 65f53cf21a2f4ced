"""Contracts between the help desk services: event envelopes, event payloads, RPC payloads, error codes.

Pure pydantic models, no I/O. Changes within a version are additive; consumers ignore unknown fields.
"""
