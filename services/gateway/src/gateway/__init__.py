"""The gateway service: the edge: agent UI, REST API v1, API keys."""
