"""`journey serve`: scheduled probes, their SQLite history, budgets, burn rates and /metrics."""
