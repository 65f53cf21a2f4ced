"""Links between cases (B14): related links, merging duplicates, master and child cases."""
