"""A server process keeps the garbage collector's young collections rare and start-up frozen."""

from __future__ import annotations

import gc

import pytest

from app.ops.gc_tuning import YOUNG_GENERATION_THRESHOLD, tune_garbage_collector


@pytest.fixture
def restored_collector():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_tuning_raises_the_young_generation_threshold(restored_collector, monkeypatch):
    monkeypatch.delenv("LEDGER_GC_TUNING", raising=False)
    tune_garbage_collector()
    assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD


def test_tuning_freezes_what_is_alive_at_start_up(restored_collector, monkeypatch):
    monkeypatch.delenv("LEDGER_GC_TUNING", raising=False)
    gc.unfreeze()
    tune_garbage_collector()
    assert gc.get_freeze_count() > 0


def test_tuning_can_be_turned_off(restored_collector, monkeypatch):
    monkeypatch.setenv("LEDGER_GC_TUNING", "0")
    gc.unfreeze()
    before = gc.get_threshold()
    tune_garbage_collector()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
