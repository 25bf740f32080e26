"""OpenAI's `file` content part (base64 `file_data`) through the official client: the file is
read by the same readers as the chat's attachments, and its text goes into the prompt."""

from __future__ import annotations

import base64
from pathlib import Path

import openai
import pytest

from tests.plugins.documents.files import write_pdf

from .conftest import Served

pytestmark = pytest.mark.slow  # loads the real starter model

QUESTION = {"type": "text", "text": "When is the launch?"}


def file_part(path: Path, *, data_url: bool = False) -> dict[str, object]:
    encoded = base64.b64encode(path.read_bytes()).decode()
    if data_url:
        encoded = f"data:application/pdf;base64,{encoded}"
    return {"type": "file", "file": {"filename": path.name, "file_data": encoded}}


def prompt_tokens(served: Served, model: str, content: list[dict[str, object]]) -> int:
    answer = served.client().chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": content}],  # type: ignore[misc, list-item]
        max_tokens=1,
        temperature=0,
    )
    assert answer.usage is not None
    return answer.usage.prompt_tokens


def test_a_pdf_sent_as_a_file_part_goes_into_the_prompt(
    served_model: tuple[Served, str], tmp_path: Path
) -> None:
    served, model = served_model
    pdf = write_pdf(tmp_path / "plan.pdf", ["Intro page.", "The launch is on the ninth of March. " * 12])
    alone = prompt_tokens(served, model, [QUESTION])
    with_pdf = prompt_tokens(served, model, [file_part(pdf), QUESTION])
    assert with_pdf > alone + 80  # both pages' text went in
    as_data_url = prompt_tokens(served, model, [file_part(pdf, data_url=True), QUESTION])
    assert as_data_url == with_pdf


def test_markdown_file_part_and_the_files_it_cannot_read(
    served_model: tuple[Served, str], tmp_path: Path
) -> None:
    served, model = served_model
    notes = tmp_path / "notes.md"
    notes.write_text("# Plan\n\n" + "The budget is 4,200 euros. " * 10, encoding="utf-8")
    assert (
        prompt_tokens(served, model, [file_part(notes), QUESTION])
        > prompt_tokens(served, model, [QUESTION]) + 50
    )
    locked = write_pdf(tmp_path / "locked.pdf", ["Secret."], password="pw")
    with pytest.raises(openai.BadRequestError) as refused:
        prompt_tokens(served, model, [file_part(locked), QUESTION])
    assert "encrypted" in str(refused.value).lower() or "password" in str(refused.value).lower()
    uploaded = {"type": "file", "file": {"file_id": "file-abc123"}}
    with pytest.raises(openai.BadRequestError) as by_id:
        prompt_tokens(served, model, [uploaded, QUESTION])
    assert "file_data" in str(by_id.value)
    broken = {"type": "file", "file": {"filename": "x.md", "file_data": "not base64!"}}
    with pytest.raises(openai.BadRequestError) as bad:
        prompt_tokens(served, model, [broken, QUESTION])
    assert "base64" in str(bad.value)
