"""The official `openai` client against the API server with the real starter model."""

from __future__ import annotations

import http.client
import json
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import openai
import pytest

from .conftest import API_KEY, Served, import_starter

pytestmark = pytest.mark.slow  # loads the real starter model

HANG_GUARD_SECONDS = 120
LONG = 4000  # more tokens than any test waits for: only a cancel ends such a generation early


def ask(content: str = "Name three colours.") -> list[dict[str, str]]:
    return [{"role": "user", "content": content}]


def counters(served: Served) -> dict[str, int]:
    return served.app.commands.invoke("server.status").model_dump()


def wait_for_status(served: Served, **expected: int) -> dict[str, object]:
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while True:
        status = served.app.commands.invoke("server.status").model_dump()
        if all(status[key] == value for key, value in expected.items()) or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def test_lists_the_library_model(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    ids = [card.id for card in served.client().models.list()]
    assert model in ids
    assert served.client().models.retrieve(model).id == model


def test_a_library_model_is_loaded_just_in_time(served: Served, starter_model: Path) -> None:
    model = import_starter(served.app, starter_model)
    assert served.app.commands.invoke("runtime.status").model_dump()["models"] == []
    assert model in [card.id for card in served.client().models.list()]
    short = model.removesuffix(":latest")  # as Ollama, the tag may be left out
    answer = served.client().chat.completions.create(model=short, messages=ask(), max_tokens=2)
    assert answer.choices[0].message.content
    (loaded,) = served.app.commands.invoke("runtime.status").model_dump()["models"]
    assert loaded["id"] == model and loaded["state"] == "ready" and loaded["backend"] == "llama_cpp"


def test_a_model_that_does_not_fit_is_a_507(served: Served, starter_model: Path) -> None:
    model = import_starter(served.app, starter_model)
    served.app.runtime.available_memory = lambda: 10_000_000  # 10 MB free
    with pytest.raises(openai.APIStatusError) as caught:
        served.client().chat.completions.create(model=model, messages=ask(), max_tokens=2)
    assert caught.value.status_code == 507 and caught.value.code == "insufficient_memory"
    assert served.app.commands.invoke("runtime.status").model_dump()["models"] == []


def test_chat_without_streaming(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    answer = served.client().chat.completions.create(model=model, messages=ask(), max_tokens=8, temperature=0)
    assert answer.object == "chat.completion" and answer.model == model
    assert answer.choices[0].message.role == "assistant" and answer.choices[0].message.content
    assert answer.choices[0].finish_reason == "length"
    assert answer.usage is not None and answer.usage.completion_tokens == 8 and answer.usage.prompt_tokens > 0


def test_chat_streams_like_openai(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    stream = served.client().chat.completions.create(
        model=model,
        messages=ask(),
        max_tokens=6,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert [c.choices[0].finish_reason for c in finals] == ["length"]
    assert (
        chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 6
    )
    assert len({c.id for c in chunks}) == 1 and all(c.object == "chat.completion.chunk" for c in chunks)


def test_stream_bytes_are_framed_exactly_like_openai(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    body = {"model": model, "messages": ask(), "max_tokens": 4, "temperature": 0, "stream": True}
    response, connection = post(served, "/chat/completions", body)
    assert response.status == 200
    assert response.getheader("content-type", "").startswith("text/event-stream")
    raw = response.read().decode()
    connection.close()
    events = raw.split("\n\n")
    assert events[-1] == "" and events[-2] == "data: [DONE]"
    for event in events[:-2]:
        assert event.startswith("data: {") and "\n" not in event
        json.loads(event.removeprefix("data: "))


def test_text_completions(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    answer = served.client().completions.create(model=model, prompt="The sky is", max_tokens=5, temperature=0)
    assert answer.object == "text_completion" and answer.choices[0].text
    pieces = served.client().completions.create(
        model=model, prompt="The sky is", max_tokens=5, temperature=0, stream=True
    )
    assert "".join(p.choices[0].text for p in pieces if p.choices).strip()


def test_embeddings(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    answer = served.client().embeddings.create(model=model, input=["a red apple", "a green pear"])
    assert answer.object == "list" and answer.model == model
    assert [item.index for item in answer.data] == [0, 1]
    assert all(len(item.embedding) == 576 for item in answer.data)
    assert answer.data[0].embedding != answer.data[1].embedding
    assert answer.usage.prompt_tokens > 0 and answer.usage.total_tokens == answer.usage.prompt_tokens
    single = served.client().embeddings.create(model=model, input="a red apple")
    assert single.data[0].embedding == pytest.approx(answer.data[0].embedding, abs=1e-5)
    # The client asked for base64 above; plain floats as JSON when asked for "float".
    response, connection = post(served, "/embeddings", {"model": model, "input": "a red apple"})
    floats = json.loads(response.read())["data"][0]["embedding"]
    connection.close()
    assert floats == pytest.approx(answer.data[0].embedding, abs=1e-5)


def test_disconnect_stops_a_stream(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    cancelled_before = counters(served)["cancelled"]
    stream = served.client().chat.completions.create(
        model=model, messages=ask("Tell a very long story."), max_tokens=LONG, stream=True
    )
    for count, _chunk in enumerate(stream):
        if count == 3:
            break
    stream.close()  # the client goes away mid-stream
    status = wait_for_status(served, generating=0, cancelled=cancelled_before + 1)
    assert status["generating"] == 0 and status["cancelled"] == cancelled_before + 1
    # The model is free again for the next client.
    answer = served.client().chat.completions.create(model=model, messages=ask(), max_tokens=3)
    assert answer.choices[0].finish_reason == "length"


def test_disconnect_stops_a_request_without_streaming(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    cancelled_before = counters(served)["cancelled"]
    body = {"model": model, "messages": ask("Tell a very long story."), "max_tokens": LONG}
    _response, connection = post(served, "/chat/completions", body, read_response=False)
    assert wait_for_status(served, generating=1)["generating"] == 1
    connection.close()
    status = wait_for_status(served, generating=0, cancelled=cancelled_before + 1)
    assert status["generating"] == 0 and status["cancelled"] == cancelled_before + 1


def test_four_clients_at_once_all_complete(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    finished_before = counters(served)["finished"]
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def client(number: int) -> None:
        try:
            stream = served.client().chat.completions.create(
                model=model, messages=ask(f"Count to {number + 3}."), max_tokens=8, stream=True
            )
            results[number] = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD_SECONDS)
    assert not errors and sorted(results) == [0, 1, 2, 3]
    assert all(text.strip() for text in results.values())
    status = wait_for_status(served, generating=0, queued=0)
    assert status["finished"] == finished_before + 4 and status["queued"] == 0


def test_clients_share_the_model_slots_with_the_same_greedy_text(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    (status,) = [m for m in served.app.commands.invoke("runtime.status").models if m.id == model]
    assert status.activity is not None and status.activity.slots >= 2  # picked by the context and memory
    prompts = ["Name three colours.", "Name three animals."]

    def complete(content: str) -> str:
        reply = served.client().chat.completions.create(
            model=model, messages=ask(content), max_tokens=24, temperature=0
        )
        return reply.choices[0].message.content or ""

    alone = [complete(content) for content in prompts]
    together: dict[int, str] = {}
    peak = 0
    threads = [
        threading.Thread(target=lambda n=n: together.__setitem__(n, complete(prompts[n]))) for n in range(2)
    ]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        peak = max(peak, counters(served)["generating"])
        time.sleep(0.005)
    assert [together[0], together[1]] == alone
    assert peak == 2  # both had a turn at once, none waited in the queue


def test_wrong_key_with_a_model(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    with pytest.raises(openai.AuthenticationError):
        served.client(api_key="not-" + API_KEY).chat.completions.create(model=model, messages=ask())


def post(
    served: Served, path: str, body: dict[str, object], read_response: bool = True
) -> tuple[http.client.HTTPResponse | None, http.client.HTTPConnection]:
    parts = urlsplit(served.base_url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=HANG_GUARD_SECONDS)
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    connection.request("POST", parts.path + path, body=json.dumps(body), headers=headers)
    return (connection.getresponse() if read_response else None), connection


def test_stopping_the_server_cancels_its_generations(served: Served, starter_model: Path) -> None:
    model = import_starter(served.app, starter_model)
    stream = served.client().chat.completions.create(
        model=model, messages=ask("Tell a very long story."), max_tokens=LONG, stream=True
    )
    next(iter(stream))  # generating now
    stopped = served.app.commands.invoke("server.stop").model_dump()
    assert not stopped["running"] and stopped["generating"] == 0
    assert stopped["cancelled"] == 1  # counted before the server's loop ended
    (loaded,) = served.app.commands.invoke("runtime.status").model_dump()["models"]
    assert loaded["state"] == "ready"  # not generating any more, and still loaded for the UI
