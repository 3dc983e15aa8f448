"""Background work: the nightly job per user as tasks, on Procrastinate (PostgreSQL) or run
in-process by `kith serve` (SQLite). The task bodies are in api/services/nightly.py."""
