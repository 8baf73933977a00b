"""The signing stream timestamps in the store: what the fleet saves through the writer is
read back by the next start, a stored timestamp never goes back, and a save that changed
nothing writes nothing."""

from __future__ import annotations

from jinghang.store.engine import Store
from jinghang.store.signing_streams import SigningStreamStore
from jinghang.store.writer import StoreWriter


def test_saved_streams_come_back_and_never_go_back(store: Store) -> None:
    writer = StoreWriter(store)
    try:
        first = SigningStreamStore(store, writer)
        assert first.load() == {}
        first.save({(0, 1, 1): 1_000, (0, 2, 1): 2_000, (0, 255, 190): 2**47})
        first.close()
        again = SigningStreamStore(store, writer)
        assert again.load() == {(0, 1, 1): 1_000, (0, 2, 1): 2_000, (0, 255, 190): 2**47}
        committed = writer.committed
        again.save({(0, 1, 1): 1_000, (0, 2, 1): 2_000, (0, 255, 190): 2**47})
        again.close()
        assert writer.committed == committed  # nothing changed: nothing written
        # an older timestamp (a second process, a stale copy) does not move a stream back
        again.save({(0, 1, 1): 500, (0, 2, 1): 2_500})
        again.close()
        assert SigningStreamStore(store, writer).load() == {
            (0, 1, 1): 1_000, (0, 2, 1): 2_500, (0, 255, 190): 2**47}
    finally:
        writer.close()
