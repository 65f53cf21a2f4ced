"""The portal's HTTP layer: routes parse, call a use case, render; nothing else."""
