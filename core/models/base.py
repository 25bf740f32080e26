"""The model bases every other model derives from (see CONVENTIONS: pydantic policy)."""

from pydantic import BaseModel, ConfigDict


class UserOptions(BaseModel):
    """Options a person types: unknown keys are a mistake, so they are rejected."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class CommandParams(UserOptions):
    """Params of a command. Every command's params derive from this (the command table
    checks it), so a misspelt key is an `invalid_params` error naming it, from the CLI,
    the API or a plugin alike, never a setting silently left at its default."""


class Record(BaseModel):
    """Data passed between services and plugins: immutable once made."""

    model_config = ConfigDict(frozen=True)
