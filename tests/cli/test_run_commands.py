"""`llamadesk run`'s slash commands on a real app (no model: they change what the next turn
sends, and the saved chats); the real model's interactive run is in test_run.py."""

from __future__ import annotations

import pytest

from llamadesk.cli.run_commands import HELP, RunState, is_command, run_command
from llamadesk.core.app import App
from llamadesk.core.models.chat_history import ChatTranscript
from llamadesk.core.models.chat_params import GetChatParams
from llamadesk.core.models.llama import SamplingParams


@pytest.fixture
def state() -> RunState:
    return RunState(model="starter", sampling=SamplingParams().model_dump())


def test_help_set_and_show(app: App, state: RunState, capsys: pytest.CaptureFixture[str]) -> None:
    assert is_command(" /help") and not is_command("hello /help")
    assert run_command("/help", state, app.commands)
    assert HELP in capsys.readouterr().err
    run_command("/set parameter temperature 0.2", state, app.commands)
    assert state.sampling["temperature"] == 0.2 and "Set temperature to 0.2" in capsys.readouterr().err
    run_command("/set parameter temperature 9", state, app.commands)
    assert state.sampling["temperature"] == 0.2 and "temperature:" in capsys.readouterr().err
    run_command("/set parameter temperature", state, app.commands)  # back to the default
    assert state.sampling["temperature"] == 0.8
    run_command("/set parameter wobble 1", state, app.commands)
    assert "Unknown parameter 'wobble'" in capsys.readouterr().err
    run_command('/set system "You answer in French."', state, app.commands)
    assert state.system == "You answer in French." and state.messages()[0]["role"] == "system"
    run_command("/show system", state, app.commands)
    run_command("/show parameters", state, app.commands)
    run_command("/show", state, app.commands)
    shown = capsys.readouterr().err
    assert "You answer in French." in shown and "top_k" in shown and "model           starter" in shown
    run_command("/what", state, app.commands)
    assert "Unknown command '/what'" in capsys.readouterr().err
    assert not run_command("/bye", state, app.commands)


def test_save_clear_and_load(app: App, state: RunState, capsys: pytest.CaptureFixture[str]) -> None:
    state.system = "Be brief."
    state.history = [{"role": "user", "content": "Name a llama."}, {"role": "assistant", "content": "Dolly."}]
    run_command("/save Llama names", state, app.commands)
    said = capsys.readouterr().err
    chat_id = said.split("Saved as chat ")[1].split(":")[0]
    saved = app.commands.invoke("chat.get", GetChatParams(session_id=chat_id))
    assert isinstance(saved, ChatTranscript) and saved.session.title == "Llama names"
    assert [m.content for m in saved.messages] == ["Name a llama.", "Dolly."]
    assert saved.session.system_prompt == "Be brief."

    run_command("/clear", state, app.commands)
    assert state.history == []
    state.system = None
    run_command(f"/load {chat_id}", state, app.commands)
    assert state.history[-1] == {"role": "assistant", "content": "Dolly."} and state.system == "Be brief."
    assert "Loaded “Llama names” (2 messages)" in capsys.readouterr().err
    run_command("/load nope", state, app.commands)
    assert "error:" in capsys.readouterr().err  # a command error is a line, the chat goes on
