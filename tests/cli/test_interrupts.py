"""Ctrl+C as a flag: the first one is only noted, a second one interrupts."""

from __future__ import annotations

import os
import signal
import time

import pytest

from llamadesk.cli.interrupts import Interrupted


def _deliver(signum: int) -> None:
    os.kill(os.getpid(), signum)
    time.sleep(0.05)  # the handler runs in the main thread at the next bytecode boundary


def test_first_ctrl_c_sets_the_flag_and_a_second_interrupts() -> None:
    with Interrupted() as interrupted:
        _deliver(signal.SIGINT)
        assert interrupted.is_set
        with pytest.raises(KeyboardInterrupt):
            _deliver(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigterm_is_a_flag_too_when_asked() -> None:
    previous = signal.getsignal(signal.SIGTERM)
    with Interrupted(signal.SIGINT, signal.SIGTERM) as interrupted:
        _deliver(signal.SIGTERM)
        assert interrupted.is_set
    assert signal.getsignal(signal.SIGTERM) == previous
