"""How long the idle watch sleeps before it looks for models whose keep-alive ran out."""

from __future__ import annotations

import pytest

from llamadesk.core.services.idle_watch import IDLE_CHECK_S, IDLE_MIN_WAIT_S, seconds_until

NOW = 1_000.0


def test_it_wakes_when_the_soonest_keep_alive_ends() -> None:
    assert seconds_until([NOW + 12.0, None, NOW + 5.0], NOW) == pytest.approx(5.0)


def test_it_still_looks_now_and_then_when_nothing_ends_soon() -> None:
    assert seconds_until([], NOW) == IDLE_CHECK_S
    assert seconds_until([None], NOW) == IDLE_CHECK_S
    assert seconds_until([NOW + 3600.0], NOW) == IDLE_CHECK_S


def test_a_keep_alive_already_over_is_not_checked_in_a_busy_loop() -> None:
    # A model that failed to unload stays due; the watch must not spin on it.
    assert seconds_until([NOW - 10.0], NOW) == IDLE_MIN_WAIT_S
