"""Vectors for passages and questions from the embedding model, through `runtime.embed`.

The runtime loads the model on demand (a library model, a GGUF, `starter`). A passage
the model cannot take whole (more tokens than it embeds at once) is shortened until it
can: its vector then stands for its beginning, and keyword search still sees it all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from llamadesk.core.commands import CommandError, CommandTable
from llamadesk.core.models.llama import Embeddings, EmbedRequest

log = logging.getLogger(__name__)

SHORTEST = 200  # characters; a passage is not cut below this to make it fit


class EmbeddingUnavailable(Exception):
    """The embedding model cannot be used (missing, fails to load): search by keywords only."""


class PassageEmbedder:
    def __init__(self, commands: CommandTable, model: Callable[[], str]) -> None:
        self._commands = commands
        self._model = model

    @property
    def model(self) -> str:
        """The model now; empty when search by meaning is off."""
        return self._model().strip()

    def embed(self, texts: Sequence[str], model: str | None = None) -> list[list[float]]:
        """One unit vector per text, in order. Raises EmbeddingUnavailable."""
        model = model or self.model
        if not model:
            raise EmbeddingUnavailable("no embedding model is set (documents.embedding_model)")
        try:
            return self._invoke(model, list(texts))
        except CommandError as exc:
            if exc.code != "generation_failed" or (len(texts) == 1 and len(texts[0]) <= SHORTEST):
                raise EmbeddingUnavailable(exc.message) from None
        # One text of the batch is too long for the model: each alone, shortened as needed.
        return [self._one(model, text) for text in texts]

    def _one(self, model: str, text: str) -> list[float]:
        while True:
            try:
                return self._invoke(model, [text])[0]
            except CommandError as exc:
                if exc.code != "generation_failed" or len(text) <= SHORTEST:
                    raise EmbeddingUnavailable(exc.message) from None
                text = text[: len(text) // 2]

    def _invoke(self, model: str, texts: list[str]) -> list[list[float]]:
        result = self._commands.invoke("runtime.embed", EmbedRequest(model=model, input=texts))
        assert isinstance(result, Embeddings)
        return result.vectors
