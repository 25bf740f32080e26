"""The official `ollama` client against the server's Ollama API, with the real starter model,
and a pull from a real registry (the OCI tests' docker-registry)."""

from __future__ import annotations

import json
import time
import urllib.request

import ollama
import pytest

from tests.plugins.oci.conftest import Registry, registry  # noqa: F401  (the session's registry)

from .conftest import API_KEY, Served

pytestmark = pytest.mark.slow  # loads the real starter model

ASK = [{"role": "user", "content": "Name three colours."}]


def client(served: Served) -> ollama.Client:
    return ollama.Client(
        host=served.base_url.removesuffix("/v1"), headers={"Authorization": f"Bearer {API_KEY}"}
    )


def test_version_tags_and_show(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    with urllib.request.urlopen(
        urllib.request.Request(
            served.base_url.removesuffix("/v1") + "/api/version", headers={"x-api-key": API_KEY}
        )
    ) as answer:
        assert json.loads(answer.read())["version"]
    listed = {entry.model: entry for entry in client(served).list().models}
    assert model in listed
    entry = listed[model]
    assert entry.size and entry.size > 90_000_000 and entry.details is not None
    assert entry.details.family == "llama" and entry.details.quantization_level
    shown = client(served).show(model.removesuffix(":latest"))  # as Ollama, the tag may be left out
    assert shown.details is not None and shown.details.format == "gguf"
    assert shown.modelinfo and shown.modelinfo["general.architecture"] == "llama"
    assert "completion" in (shown.capabilities or []) and shown.template
    with pytest.raises(ollama.ResponseError) as caught:
        client(served).show("no-such-model")
    assert caught.value.status_code == 404


def test_chat_without_streaming_reports_ollama_timings(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    answer = client(served).chat(model=model, messages=ASK, options={"num_predict": 6, "temperature": 0})
    assert answer.message.role == "assistant" and answer.message.content
    assert answer.done and answer.done_reason == "length" and answer.eval_count == 6
    assert answer.prompt_eval_count and answer.prompt_eval_count > 5
    assert answer.total_duration and answer.eval_duration and answer.prompt_eval_duration is not None
    assert answer.total_duration >= answer.eval_duration > 0
    assert answer.load_duration is not None


def test_chat_streams_ndjson(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    parts = list(
        client(served).chat(
            model=model, messages=ASK, stream=True, options={"num_predict": 8, "temperature": 0}
        )
    )
    assert all(not part.done for part in parts[:-1]) and parts[-1].done
    text = "".join(part.message.content or "" for part in parts)
    assert text.strip() and parts[-1].eval_count == 8 and parts[-1].done_reason == "length"
    # The same answer without streaming (greedy): what was streamed is the whole answer.
    whole = client(served).chat(model=model, messages=ASK, options={"num_predict": 8, "temperature": 0})
    assert whole.message.content == text


def test_generate_plain_raw_json_and_stop(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    plain = client(served).generate(model=model, prompt="Why is the sky blue?", options={"num_predict": 5})
    assert plain.response and plain.done and plain.eval_count == 5
    raw = client(served).generate(
        model=model, prompt="1, 2, 3, 4,", raw=True, options={"num_predict": 4, "temperature": 0}
    )
    assert raw.response.strip()
    templated = client(served).generate(model=model, prompt="1, 2, 3, 4,", options={"num_predict": 1})
    assert raw.prompt_eval_count and templated.prompt_eval_count
    assert raw.prompt_eval_count + 10 < templated.prompt_eval_count  # no chat template around it
    shaped = client(served).generate(
        model=model,
        prompt="Give a JSON object with a key 'a'.",
        format="json",
        options={"num_predict": 40, "temperature": 0},
    )
    assert isinstance(json.loads(shaped.response), dict) or shaped.done_reason == "length"
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    structured = client(served).generate(
        model=model, prompt="A number.", format=schema, options={"num_predict": 30}
    )
    assert isinstance(json.loads(structured.response)["n"], int)
    counted = client(served).generate(
        model=model,
        prompt="Count: 1, 2, 3,",
        raw=True,
        options={"num_predict": 30, "temperature": 0, "stop": [","]},
    )
    assert "," not in counted.response and counted.done_reason == "stop"


def test_refused_options_and_fields_name_themselves(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    for options, name in (
        ({"mirostat": 2}, "mirostat"),
        ({"nonsense": 1}, "nonsense"),
        ({"temperature": "hot"}, "temperature"),
    ):
        with pytest.raises(ollama.ResponseError) as caught:
            client(served).chat(model=model, messages=ASK, options=options)
        assert caught.value.status_code == 400 and f"options.{name}" in caught.value.error
    with pytest.raises(ollama.ResponseError) as caught:
        client(served).generate(model=model, prompt="x", suffix="y")
    assert caught.value.status_code == 400 and "suffix" in caught.value.error
    # Neutral values of options this server cannot change are accepted.
    answer = client(served).chat(
        model=model, messages=ASK, options={"mirostat": 0, "typical_p": 1.0, "num_predict": 1}
    )
    assert answer.done


def test_embed_and_embeddings(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    both = client(served).embed(model=model, input=["a red apple", "a green pear"])
    assert len(both.embeddings) == 2 and len(both.embeddings[0]) == 576
    assert both.prompt_eval_count and both.prompt_eval_count >= 4
    short = client(served).embed(model=model, input="a red apple", dimensions=64)
    assert len(short.embeddings[0]) == 64
    assert abs(sum(v * v for v in short.embeddings[0]) - 1.0) < 1e-4
    legacy = client(served).embeddings(model=model, prompt="a red apple")
    assert legacy.embedding == pytest.approx(both.embeddings[0], abs=1e-5)


def test_ps_keep_alive_load_and_unload(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    running = client(served).ps().models
    assert [m.model for m in running] == [model] and running[0].context_length == 2048
    assert running[0].size and running[0].size_vram == 0
    # keep_alive 0 with no messages unloads, as in Ollama; with a duration it loads and sets it.
    assert client(served).chat(model=model, messages=[], keep_alive=0).done_reason == "unload"
    assert client(served).ps().models == []
    loaded = client(served).generate(model=model, prompt="", keep_alive="10m")
    assert loaded.done_reason == "load"
    (entry,) = client(served).ps().models
    assert entry.expires_at is not None and 550 < entry.expires_at.timestamp() - time.time() <= 600
    # keep_alive 0 on a generation: answered, then unloaded.
    client(served).generate(model=model, prompt="Hi", keep_alive=0, options={"num_predict": 2})
    deadline = time.monotonic() + 10
    while client(served).ps().models and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client(served).ps().models == []
    client(served).generate(model=model, prompt="", keep_alive=-1)  # loaded again, for the rest
    (entry,) = client(served).ps().models
    assert entry.expires_at is not None and entry.expires_at.year > 2300


def test_load_options_reload_the_model(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    answer = client(served).chat(model=model, messages=ASK, options={"num_ctx": 1024, "num_predict": 1})
    assert answer.done
    assert [m.context_length for m in client(served).ps().models] == [1024]
    client(served).chat(model=model, messages=ASK, options={"num_ctx": 2048, "num_predict": 1})
    assert [m.context_length for m in client(served).ps().models] == [2048]


def test_a_tool_call_round_trip(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The weather in a city.",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    ask = [{"role": "user", "content": "What is the weather in Paris? Use the tool."}]
    answer = client(served).chat(
        model=model, messages=ask, tools=tools, options={"temperature": 0, "num_predict": 60}
    )
    assert answer.done
    for call in answer.message.tool_calls or []:  # a 135M model may answer in words instead
        assert call.function.name == "get_weather" and isinstance(call.function.arguments, dict)
    # The history of a call and its result, as Ollama's clients send it back.
    made = {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
    }
    follow = [*ask, made, {"role": "tool", "content": "Sunny, 21 C", "tool_name": "get_weather"}]
    again = client(served).chat(model=model, messages=follow, tools=tools, options={"num_predict": 20})
    assert again.done and again.prompt_eval_count and again.prompt_eval_count > 40


def test_pull_copy_and_delete(served_model: tuple[Served, str], registry: Registry) -> None:  # noqa: F811
    served, _ = served_model
    reference = registry.ref("library/smollm2", "second")
    statuses = [progress.status for progress in client(served).pull(reference, insecure=True, stream=True)]
    assert statuses[0] == "pulling manifest" and statuses[-1] == "success"
    assert any((status or "").startswith("pulling ") and status != "pulling manifest" for status in statuses)
    names = [entry.model for entry in client(served).list().models]
    assert reference in names
    assert client(served).copy(reference, "mine:copy").status == "success"
    assert "mine:copy" in [entry.model for entry in client(served).list().models]
    assert client(served).delete("mine:copy").status == "success"
    assert client(served).delete(reference).status == "success"
    remaining = [entry.model for entry in client(served).list().models]
    assert "mine:copy" not in remaining and reference not in remaining
    with pytest.raises(ollama.ResponseError) as caught:
        client(served).delete("mine:copy")
    assert caught.value.status_code == 404
    with pytest.raises(ollama.ResponseError) as caught:
        client(served).pull(registry.ref("library/missing"), insecure=True)
    assert caught.value.status_code in (404, 502) or "not found" in caught.value.error.lower()
