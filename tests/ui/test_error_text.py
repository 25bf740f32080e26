"""What the window makes of a command's error: its template translated and filled with its
details, or its English message when that cannot be done right. No window here."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from llamadesk.core.commands.table import error_info
from llamadesk.core.errors import N_, InsufficientMemory, ModelCrashed, NotFound
from llamadesk.core.gguf import read_gguf
from llamadesk.core.models.commands import CommandErrorInfo
from llamadesk.core.services.memory_fit import MIB, check_memory_fit
from llamadesk.plugins.llama_cpp.worker_exit import describe_exit
from llamadesk.ui import catalogs
from llamadesk.ui.catalogs import error_text, use_language

MISSING = "model {short} is not in the library"  # a template of the core, in every catalog


@pytest.fixture()
def spanish() -> Iterator[None]:
    use_language("es")
    yield
    use_language("en")


def test_an_error_is_shown_in_the_windows_language(spanish: None) -> None:
    info = error_info(NotFound(N_(MISSING), short="smollm2:latest"))
    assert info.message == "model smollm2:latest is not in the library"  # CLI and API: English
    assert error_text(info) == "el modelo smollm2:latest no está en la biblioteca"


def test_an_english_window_shows_the_message_itself() -> None:
    info = error_info(NotFound(N_(MISSING), short="smollm2:latest"))
    assert error_text(info) == info.message


def test_a_message_without_template_is_shown_in_english(spanish: None) -> None:
    info = error_info(NotFound("no such thing from a third-party plugin", what="thing"))
    assert info.template is None
    assert error_text(info) == "no such thing from a third-party plugin"


def test_details_that_do_not_fill_the_translation_fall_back_to_english(spanish: None) -> None:
    """The Spanish sentence names `{short}`; details without it must not raise on screen
    nor show a half-filled sentence."""
    info = CommandErrorInfo(
        code="not_found", message="model x is not in the library", details={"model": "x"}, template=MISSING
    )
    assert catalogs.tr(MISSING) != MISSING
    assert error_text(info) == "model x is not in the library"


def test_a_template_that_json_would_change_is_not_sent() -> None:
    """`{path!r}` of a Path reads PosixPath('...'), of its JSON string '...': the window
    would say something else than the message, so the template stays home."""
    from pathlib import Path

    error = NotFound(N_("no file {path!r}"), path=Path("/tmp/x.gguf"))
    info = error_info(error)
    assert info.message == f"no file {Path('/tmp/x.gguf')!r}"
    assert info.template is None


def test_a_template_missing_a_detail_still_raises_the_error_in_english() -> None:
    error = NotFound(N_("no model {name}"))
    assert error.message == "no model {name}" and error.template is None


def test_a_memory_refusal_in_parts_is_translated_part_by_part(spanish: None, starter_model: Path) -> None:
    info_ = read_gguf(starter_model)
    with pytest.raises(InsufficientMemory) as refused:
        check_memory_fit(info_, 131072, available=lambda: 512 * MIB)
    info = error_info(refused.value)
    assert info.message.startswith("not enough memory: ")  # CLI and API: English
    shown = error_text(info)
    assert shown.startswith("no hay memoria suficiente: ") and "con contexto 131072" in shown, shown
    assert " o una cuantización menor que Q4_1 o un modelo más pequeño" in shown, shown
    assert "not enough" not in shown and " or " not in shown


def test_a_crashed_workers_reason_is_translated(spanish: None) -> None:
    crashed = describe_exit("smollm2", -signal.SIGKILL).error(ModelCrashed)
    info = error_info(crashed)
    assert info.message.startswith("the worker for smollm2 was killed (SIGKILL)")
    assert error_text(info).startswith("el proceso de smollm2 fue terminado (SIGKILL)")
