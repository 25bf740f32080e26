"""The on-disk model store, in Ollama's layout so Ollama and llamadesk can share one folder.

```
<root>/manifests/<host>/<namespace>/<name>/<tag>      manifest JSON, as the registry sent it
<root>/blobs/sha256-<hex>                             content-addressed blobs, shared by tags
<root>/.llamadesk/partial/sha256-<hex>[.state|.lock|.json]   unfinished downloads (resumable)
<root>/.llamadesk/in-place/<host>/<ns>/<name>/<tag>.json   GGUFs used where they are
<root>/.llamadesk/shards/<manifest-hex>/model-0000i-of-0000n.gguf   links llama.cpp loads splits by
```

Only `manifests/` and `blobs/` are Ollama's, and we write there only what Ollama
writes: a manifest appears after every blob it names is in `blobs/`. Our own
state lives under `.llamadesk/`, which Ollama never reads or prunes. A model
imported in place is therefore a record there, not a manifest: Ollama's store
never names a blob that is not in it.

Every path is built from a parsed `ModelRef` or a checked digest and then
checked again to be inside the root, so a hostile reference or manifest cannot
reach outside the store.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..errors import N_, InvalidReference, NotFound, RegistryError, validation_summary
from ..fileio import atomic_write_bytes, atomic_write_text
from ..models.library import DiskUsage
from ..models.manifest import Manifest
from ..models.reference import ModelRef, parse_reference

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
OWN_DIR = ".llamadesk"


@dataclass(frozen=True)
class InPlaceRecord:
    """A GGUF registered without copying: the files stay where the user keeps them."""

    ref: ModelRef
    files: list[Path]
    sizes: list[int]
    mtimes: list[float]
    imported_at: float

    def to_json(self) -> str:
        return json.dumps(
            {
                "reference": self.ref.full,
                "files": [str(f) for f in self.files],
                "sizes": self.sizes,
                "mtimes": self.mtimes,
                "imported_at": self.imported_at,
            },
            indent=2,
        )


class ModelStore:
    """Paths and plain file operations of one models folder. No network, no policy."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifests_dir = root / "manifests"
        self.blobs_dir = root / "blobs"
        self.own_dir = root / OWN_DIR
        self.partial_dir = self.own_dir / "partial"
        self.in_place_dir = self.own_dir / "in-place"
        self.shards_dir = self.own_dir / "shards"

    # -- paths -----------------------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        """`blobs/sha256-<hex>`; a digest that is not sha256 hex is refused (it names a path)."""
        if not DIGEST.match(digest):
            raise RegistryError(
                N_("refusing blob digest {digest!r}: not sha256:<64 hex digits>"), digest=digest[:80]
            )
        return self.blobs_dir / digest.replace(":", "-", 1)

    def manifest_path(self, ref: ModelRef) -> Path:
        path = self.manifests_dir.joinpath(*ref.manifest_path.parts)
        self._inside(path, self.manifests_dir, ref)
        return path

    def in_place_path(self, ref: ModelRef) -> Path:
        path = self.in_place_dir.joinpath(*ref.manifest_path.parts[:-1], ref.tag + ".json")
        self._inside(path, self.in_place_dir, ref)
        return path

    @staticmethod
    def _inside(path: Path, parent: Path, ref: ModelRef) -> None:
        # Belt and braces: parsing already refused anything odd; a symlinked folder must not lead out
        # either (the models folder itself may be a link: both sides are resolved).
        if not os.path.realpath(path).startswith(os.path.realpath(parent) + os.sep):
            raise InvalidReference(N_("{full} does not name a path inside the model store"), full=ref.full)

    # -- manifests -------------------------------------------------------------------------

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def read_manifest(self, ref: ModelRef) -> tuple[Manifest, bytes]:
        path = self.manifest_path(ref)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFound(
                N_("model {short} is not in the library"), reference=ref.full, short=ref.short
            ) from None
        except IsADirectoryError:
            raise NotFound(
                N_("model {short} is not in the library"), reference=ref.full, short=ref.short
            ) from None
        try:
            return Manifest.model_validate_json(data), data
        except ValidationError as exc:
            raise RegistryError(
                N_("the manifest of {short} ({path}) is not valid: {problem}"),
                short=ref.short,
                path=path,
                problem=validation_summary(exc),
            ) from exc

    def write_manifest(self, ref: ModelRef, data: bytes) -> None:
        atomic_write_bytes(self.manifest_path(ref), data)

    def remove_manifest(self, ref: ModelRef) -> bool:
        path = self.manifest_path(ref)
        if not path.is_file():
            return False
        path.unlink()
        self._prune_empty(path.parent, self.manifests_dir)
        return True

    def iter_manifests(self) -> Iterator[tuple[ModelRef, Path]]:
        """Every stored manifest whose path is a valid reference; anything else is skipped."""
        yield from self._walk(self.manifests_dir, suffix="")

    def manifest_digests(self, ref: ModelRef) -> set[str]:
        manifest, _ = self.read_manifest(ref)
        return {manifest.config.digest, *(layer.digest for layer in manifest.layers)}

    def referenced_digests(self, *, excluding: ModelRef | None = None) -> set[str]:
        """Digests some manifest still names (a manifest that does not parse keeps nothing alive)."""
        digests: set[str] = set()
        for ref, _path in self.iter_manifests():
            if excluding is not None and ref.full == excluding.full:
                continue
            try:
                digests |= self.manifest_digests(ref)
            except (RegistryError, NotFound):
                continue
        return digests

    # -- blobs -----------------------------------------------------------------------------

    def remove_blob(self, digest: str) -> int:
        path = self.blob_path(digest)
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            return 0
        return size

    def iter_blobs(self) -> Iterator[tuple[str, Path]]:
        if not self.blobs_dir.is_dir():
            return
        for entry in os.scandir(self.blobs_dir):
            digest = entry.name.replace("-", ":", 1)
            if entry.is_file() and DIGEST.match(digest):
                yield digest, Path(entry.path)

    # -- models used in place --------------------------------------------------------------

    def write_in_place(self, record: InPlaceRecord) -> None:
        atomic_write_text(self.in_place_path(record.ref), record.to_json())

    def read_in_place(self, ref: ModelRef) -> InPlaceRecord | None:
        path = self.in_place_path(ref)
        try:
            data = json.loads(path.read_text())
            return InPlaceRecord(
                ref=ref,
                files=[Path(f) for f in data["files"]],
                sizes=[int(s) for s in data["sizes"]],
                mtimes=[float(m) for m in data["mtimes"]],
                imported_at=float(data["imported_at"]),
            )
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise RegistryError(
                N_("the in-place record {path} is not valid: {error}"), path=path, error=exc
            ) from exc

    def remove_in_place(self, ref: ModelRef) -> bool:
        path = self.in_place_path(ref)
        if not path.is_file():
            return False
        path.unlink()
        self._prune_empty(path.parent, self.in_place_dir)
        return True

    def iter_in_place(self) -> Iterator[tuple[ModelRef, Path]]:
        yield from self._walk(self.in_place_dir, suffix=".json")

    def disk_usage(self) -> DiskUsage:
        """Bytes of blobs (shared ones once), unreferenced blobs, partials and in-place files."""
        store = self
        refs = [ref for ref, _ in store.iter_manifests()]
        keep = store.referenced_digests()
        blob_bytes = unreferenced = count = 0
        for digest, path in store.iter_blobs():
            size = path.stat().st_size
            blob_bytes += size
            count += 1
            if digest not in keep:
                unreferenced += size
        partial = sum(
            e.stat().st_blocks * 512 if hasattr(e.stat(), "st_blocks") else e.stat().st_size
            for e in (store.partial_dir.iterdir() if store.partial_dir.is_dir() else [])
        )
        in_place_refs = [ref for ref, _ in store.iter_in_place()]
        in_place_bytes = 0
        for ref in in_place_refs:
            record = store.read_in_place(ref)
            in_place_bytes += sum(record.sizes) if record else 0
        root = store.root if store.root.exists() else store.root.parent
        while not root.exists():
            root = root.parent
        return DiskUsage(
            models_dir=str(store.root),
            model_count=len(refs) + len(in_place_refs),
            blob_count=count,
            blob_bytes=blob_bytes,
            unreferenced_bytes=unreferenced,
            partial_bytes=partial,
            in_place_bytes=in_place_bytes,
            free_bytes=shutil.disk_usage(root).free,
        )

    # -- helpers ---------------------------------------------------------------------------

    def _walk(self, base: Path, suffix: str) -> Iterator[tuple[ModelRef, Path]]:
        if not base.is_dir():
            return
        for host in _dirs(base):
            for namespace in _dirs(host):
                for name in _dirs(namespace):
                    for entry in sorted(os.scandir(name), key=lambda e: e.name):
                        if not entry.is_file(follow_symlinks=False) or not entry.name.endswith(suffix):
                            continue
                        tag = entry.name[: len(entry.name) - len(suffix)] if suffix else entry.name
                        try:
                            ref = ModelRef(host=host.name, namespace=namespace.name, name=name.name, tag=tag)
                            _check_ref_parts(ref)
                        except (ValueError, InvalidReference):
                            continue
                        yield ref, Path(entry.path)

    @staticmethod
    def _prune_empty(folder: Path, stop: Path) -> None:
        while folder != stop and folder.is_relative_to(stop):
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent


def _dirs(folder: Path) -> list[Path]:
    return sorted(
        Path(e.path)
        for e in os.scandir(folder)
        if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
    )


def _check_ref_parts(ref: ModelRef) -> None:
    """A path found on disk must parse like a typed reference would, or it is not ours to touch."""
    if parse_reference(ref.full) != ref:
        raise InvalidReference(N_("{full} is not a canonical reference"), full=ref.full)
