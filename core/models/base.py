"""The two model bases every other model derives from (see CONVENTIONS: pydantic policy)."""

from pydantic import BaseModel, ConfigDict


class UserOptions(BaseModel):
    """Options a person types: unknown keys are a mistake, so they are rejected."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Record(BaseModel):
    """Data passed between services and plugins: immutable once made."""

    model_config = ConfigDict(frozen=True)
