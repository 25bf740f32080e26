"""Search by meaning: each collection's vectors held in memory as one matrix, scanned exactly.

The vectors have length 1, so a dot product is the cosine. A scan of 100,000 passages
of 576 floats is one matrix-vector product (~58 M multiply-adds, a few milliseconds):
no approximate index is needed at the sizes a desktop collection reaches. A matrix is
loaded on first use and again whenever its collection's `version` changed (this
process or another indexed it meanwhile).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .store import IndexStore

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


# A small chat model's mean-pooled vectors (the starter model's) put almost every passage at
# a similar cosine to any question: their ranking is mostly noise, and fused with the
# keyword ranking it pushed passages that merely share a common word above the one that
# answers (5 of 20 planted-fact phrasings found, against 18 by keywords alone). So the
# vector ranking keeps only passages that stand out: a similarity over the question's mean
# by STANDOUT_Z standard deviations. A good embedding model puts the passages that answer
# well beyond that; a weak one puts few there, and keywords decide (18 of 20 again).
# Below GATE_FROM passages (a short attached file) the spread says nothing: no gate.
STANDOUT_Z = 2.5
GATE_FROM = 20


@dataclass(frozen=True)
class _Held:
    version: int
    model: str
    ids: npt.NDArray[np.int64]
    file_ids: npt.NDArray[np.int64]
    matrix: npt.NDArray[np.float32]


def to_blob(vector: Sequence[float]) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype=np.float32).tobytes()


def from_blob(blob: bytes) -> npt.NDArray[np.float32]:
    import numpy as np

    return np.frombuffer(blob, dtype=np.float32)


class VectorCache:
    def __init__(self, store: IndexStore) -> None:
        self._store = store
        self._held: dict[int, _Held] = {}
        self._lock = threading.Lock()

    def forget(self, collection_id: int) -> None:
        with self._lock:
            self._held.pop(collection_id, None)

    def ranked(
        self,
        collection_ids: Sequence[int],
        model: str,
        query: Sequence[float],
        limit: int,
        file_id: int | None = None,
    ) -> list[int]:
        """Passage ids by similarity to `query`, best first (only passages embedded by `model`)."""
        import numpy as np

        q = np.asarray(query, dtype=np.float32)
        versions = self._store.versions(collection_ids)
        found_ids: list[Any] = []
        found_scores: list[Any] = []
        for collection_id in collection_ids:
            held = self._matrix(collection_id, versions.get(collection_id, -1), model)
            if held is None or held.matrix.shape[1] != q.shape[0]:
                continue
            ids, matrix = held.ids, held.matrix
            if file_id is not None:
                rows = held.file_ids == file_id
                ids, matrix = ids[rows], matrix[rows]
            if len(ids) == 0:
                continue
            scores = matrix @ q
            if len(scores) >= GATE_FROM:
                # Only passages that stand out from the rest for this question: see STANDOUT_Z.
                keep = scores >= scores.mean() + STANDOUT_Z * scores.std()
                ids, scores = ids[keep], scores[keep]
                if len(ids) == 0:
                    continue
            top = min(limit, len(scores))
            best = np.argpartition(-scores, top - 1)[:top]
            found_ids.append(ids[best])
            found_scores.append(scores[best])
        if not found_ids:
            return []
        ids_all = np.concatenate(found_ids)
        scores_all = np.concatenate(found_scores)
        order = np.argsort(-scores_all, kind="stable")[:limit]
        return [int(i) for i in ids_all[order]]

    def _matrix(self, collection_id: int, version: int, model: str) -> _Held | None:
        with self._lock:
            held = self._held.get(collection_id)
            if held is not None and held.version == version and held.model == model:
                return held
        import numpy as np

        rows = self._store.vectors(collection_id, model)
        if not rows:
            self.forget(collection_id)
            return None
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        file_ids = np.fromiter((row[1] for row in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(row[2] for row in rows), dtype=np.float32).reshape(len(rows), -1)
        fresh = _Held(version=version, model=model, ids=ids, file_ids=file_ids, matrix=matrix)
        with self._lock:
            self._held[collection_id] = fresh
        return fresh
