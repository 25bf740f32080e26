"""Stop strings cut across streamed pieces."""

from __future__ import annotations

from llamadesk.plugins.llama_cpp.generation import StopStringFilter


def run(chunks: list[str], stops: list[str]) -> tuple[str, bool]:
    stop_filter = StopStringFilter(stops)
    out = []
    for chunk in chunks:
        text, hit = stop_filter.feed(chunk)
        out.append(text)
        if hit:
            return "".join(out), True
    return "".join(out) + stop_filter.flush(), False


def test_stop_cut_across_chunks() -> None:
    text = "Hello there. END and more"
    for i in range(len(text) + 1):
        assert run([text[:i], text[i:]], ["END"]) == ("Hello there. ", True), i


def test_near_miss_is_released() -> None:
    assert run(["a EN", "D? no: EX"], ["ENDX", "EXIT"]) == ("a END? no: EX", False)


def test_earliest_of_several_stops_wins() -> None:
    assert run(["one two three"], ["three", "two"]) == ("one ", True)


def test_no_stops_pass_through() -> None:
    assert run(["a", "b"], []) == ("ab", False)
