"""Pure pydantic data: the only place a shared type is declared. No I/O, no logic."""
