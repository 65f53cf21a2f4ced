"""Who is who (H2): contacts with their addresses, organisations, agents and groups."""
