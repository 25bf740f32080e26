"""The four screens; each `<name>.py` has its layout in `<name>.kv` beside it."""
