"""What notifications asks the cases service: agents, groups and cases, each call bounded in time."""
