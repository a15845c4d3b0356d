"""What keeps a long-running server's resident memory level: a mapped file made resident at once
(`populate_file_mappings`, policygraph/embedders.py) and glibc's malloc settings
(`few_malloc_arenas`, policygraph/api/memory.py). No model: milliseconds."""

from __future__ import annotations

import ctypes
import mmap
import os
import subprocess
import sys
from pathlib import Path

import pytest

from policygraph.embedders import populate_file_mappings

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and glibc: Linux only")


def rss_file_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1])
    raise AssertionError("no RssFile in /proc/self/status")


def test_a_mapped_file_is_resident_after_populating_it_and_not_before(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(bytes(range(256)) * (8 * 4096))  # 8 MiB
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        before = rss_file_kb()
        done = populate_file_mappings(str(tmp_path), ".bin")
        after = rss_file_kb()
        assert mapped[12345] == 12345 % 256  # the mapping still reads the file
    assert done == 8 * 1024 * 1024
    assert after - before >= 7 * 1024, f"RssFile grew {after - before} kB, expected ~8192"


def test_only_files_under_the_directory_with_the_suffix_are_populated(tmp_path):
    (tmp_path / "a").mkdir()
    other = tmp_path / "a" / "weights.txt"
    other.write_bytes(b"x" * 4 * 1024 * 1024)
    with open(other, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ):
        assert populate_file_mappings(str(tmp_path / "a"), ".bin") == 0
        assert populate_file_mappings(str(tmp_path / "b"), ".txt") == 0
        assert populate_file_mappings(str(tmp_path / "a"), ".txt") == 4 * 1024 * 1024


#: run in a fresh interpreter: which of two 512 KiB blocks (the first freed before the second) glibc mapped
PROBE = """
import ctypes, sys
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "server":
    from policygraph.api.memory import few_malloc_arenas
    few_malloc_arenas()
mapped = []
for _ in range(2):
    before = libc.mallinfo2().hblkhd
    block = libc.malloc(512 * 1024)
    mapped.append(libc.mallinfo2().hblkhd > before)
    libc.free(block)
print(mapped)
"""


def mapped_blocks(setting: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    out = subprocess.run([sys.executable, "-c", PROBE, setting], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_with_the_server_setting_a_freed_large_block_does_not_move_the_next_one_into_the_heap():
    """glibc raises its mmap threshold when a large mapped block is freed, so the next one is carved out of
    the heap (where, freed, it leaves a hole between long-lived objects); with the server's fixed threshold
    every large block is mapped and handed back whole."""
    try:
        ctypes.CDLL("libc.so.6").mallinfo2  # noqa: B018
    except (OSError, AttributeError):
        pytest.skip("needs glibc >= 2.33 (mallinfo2)")
    assert mapped_blocks("default") == "[True, False]"  # glibc's own behaviour: the second one is in the heap
    assert mapped_blocks("server") == "[True, True]"


FREEZE_PROBE = """
import gc, weakref
from policygraph.api import memory

class Node:
    pass

memory.freeze_long_lived()  # not turned on: nothing frozen
print(gc.get_freeze_count() == 0)
memory.enable_heap_freezing()
old = Node()
old.self = old  # a cycle, like a corpus version's objects
alive = weakref.ref(old)
memory.freeze_long_lived()
print(gc.get_freeze_count() > 0)
del old  # the next write replaced it: garbage now, but frozen
gc.collect()
print(alive() is not None)  # the collector does not reach frozen objects
memory.freeze_long_lived()  # once the write has settled
print(alive() is None)
"""


def test_a_server_freezes_its_long_lived_objects_and_collects_a_replaced_corpus_before_freezing_again():
    """After the warm-up a server moves what is alive out of the cyclic collector's reach (its full
    collections paused every thread for ~180 ms); a frozen object that later becomes cyclic garbage (the
    previous corpus version) must be collected at the next freeze, not kept for ever."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = subprocess.run([sys.executable, "-c", FREEZE_PROBE], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "True", "True"], out.stdout
