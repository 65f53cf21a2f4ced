"""Start-up objects are frozen out of the garbage collector's walks (decision 0161)."""

from __future__ import annotations

import gc

from chassis.heap import freeze_startup_heap


def test_objects_alive_at_start_up_are_frozen_and_later_ones_still_collected() -> None:
    class Cycle:
        def __init__(self) -> None:
            self.me = self

    before = gc.get_freeze_count()
    try:
        freeze_startup_heap()
        frozen = gc.get_freeze_count()
        assert frozen > before and frozen > 1000  # the imported modules' objects at least
        assert gc.get_count()[0] < 100  # the collection before the freeze emptied the youngest generation
        Cycle()  # garbage in a reference cycle, made after start-up
        assert gc.collect() >= 1  # the collector still finds the new cycle
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
