"""How the server process keeps its resident memory level (glibc malloc; elsewhere those do nothing) and
the cyclic garbage collector's pauses short.

* `few_malloc_arenas()`: at start-up, before threads allocate (with a fixed mmap threshold).
* `freeze_long_lived()`: after the warm-up (a server that called `enable_heap_freezing()`), and again
  once each write has settled: the cyclic collector no longer walks the long-lived heap.
* `release_freed_memory()`: after a corpus write. A publish builds the new graph, catalog and index beside
  the old ones (readers in flight keep the old); once those are freed, glibc keeps the pages in its heap,
  so each publish left the process ~15 MB larger for its first several minutes. Handing free pages back
  keeps resident memory at what is in use.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
import threading

#: after a write, free pages are handed back this many seconds later (readers that held the old corpus
#: version have finished by then), and once more at once
RELEASE_DELAY_S = 5.0


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


#: allocations from this size up get pages of their own, handed back when freed
MMAP_THRESHOLD = 128 * 1024


def few_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each thread that allocates its own malloc arena (up to 8 per core): a server whose
    threadpool hands requests to ~40 threads keeps growing as arena after arena fills with freed but
    unreturned memory. Two arenas keep resident memory level at no measurable cost in throughput.

    glibc also raises its mmap threshold each time a large block is freed (up to 32 MB): after a publish's
    large temporary buffers (a JSON dump, an index copy, the embedder's scratch) are freed, the next ones
    come from the heap and leave holes between long-lived objects that are never handed back. A fixed
    threshold (`MMAP_THRESHOLD`) keeps them out of the heap: measured ~25 MB less resident memory after the
    first publish, and less creep after it. MALLOC_ARENA_MAX / MALLOC_MMAP_THRESHOLD_ in the environment win."""
    libc = _libc()
    if libc is None:
        return
    try:
        if "MALLOC_ARENA_MAX" not in os.environ:
            libc.mallopt(-8, arenas)  # M_ARENA_MAX
        if "MALLOC_MMAP_THRESHOLD_" not in os.environ:
            libc.mallopt(-3, MMAP_THRESHOLD)  # M_MMAP_THRESHOLD (fixing it ends the dynamic raising)
    except AttributeError:
        pass


#: whether this process freezes its long-lived objects (`policygraph serve` turns it on; a test or a library
#: user that builds an app keeps Python's collector as it is)
_freezing = False


def enable_heap_freezing() -> None:
    """Let `freeze_long_lived()` act in this process (`policygraph serve` and each of its workers, at start-up)."""
    global _freezing
    _freezing = True


def freeze_long_lived() -> None:
    """One full collection, then every object alive now is moved out of the cyclic collector's reach
    (`gc.freeze`): the corpus, the models and the libraries are ~1.8 M objects, and each full collection
    walked all of them — a ~180 ms pause of every thread, three times in 35 s of traffic at concurrency 8,
    which was the p99. Called after the warm-up and once each write has settled (the previous corpus version
    is collected first, so its reference cycles do not stay frozen). A no-op until
    `enable_heap_freezing()`."""
    if not _freezing:
        return
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def release_freed_memory(later: bool = True) -> None:
    """Return the heap's free pages to the system now and, with `later`, once more after `RELEASE_DELAY_S`
    (when the previous corpus version's readers are done), after collecting it (`freeze_long_lived`)."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
    if later:
        timer = threading.Timer(RELEASE_DELAY_S, _settle)
        timer.daemon = True
        timer.start()


def _settle() -> None:
    freeze_long_lived()
    release_freed_memory(later=False)
