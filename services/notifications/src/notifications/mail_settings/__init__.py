"""Customer mail settings (E3): the workspace level and each customer organisation's."""
