"""Reusable widgets; each `<name>.py` has its rules in `<name>.kv` beside it."""
