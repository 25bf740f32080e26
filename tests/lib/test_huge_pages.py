"""The glibc tunable that puts the model processes' weights on huge pages."""

from __future__ import annotations

import os

import pytest

from llamadesk.lib.huge_pages import allow_huge_pages_in_children


def test_the_tunable_is_added(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    allow_huge_pages_in_children()
    allow_huge_pages_in_children()  # once is enough
    assert os.environ["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=1"


def test_other_tunables_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")
    allow_huge_pages_in_children()
    assert os.environ["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"


def test_the_users_choice_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0")
    allow_huge_pages_in_children()
    assert os.environ["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=0"
