"""The portal service: customer self-service portal."""
