"""A built engine kept on disk, so that a start-up or a /reload whose knowledge and code have
not changed skips building the matcher's indexes (about 0.8 s of a 1.1 s load here).

The file's name is a hash of everything the built engine depends on: every file of the
knowledge folder (and where it is), every file of the `bot` package (its code and the word
vectors), the matching settings, and the versions of Python and of the libraries whose objects
it holds. A change to any of them is another name, so a stale engine is never read; the few
newest files are kept (`ENGINE_CACHE_KEEP`), so checkouts of different code can share a folder.
The folder also keeps the names found last (`_KEYS`), so that a start whose files have not been
touched since does not read them all to hash them (see `cache_key`).

The folder is `$CNRP_CACHE_DIR` if it is set (empty: no cache), else `$XDG_CACHE_HOME/cnrp-bot`,
else `~/.cache/cnrp-bot`. Any failure to read or write it is silent: the engine is built as
if there were no cache. The file holds a pickle, so it is read only from the user's own cache
folder, which only someone who could change the code itself can write to.

The engine's arrays (word vectors and their words, classifier weights, the index's matrices:
some 10 MB) are kept out of the pickle, after it in the same file, and read by mapping the
file: an array is then backed by the file, read-only, and only the pages that questions touch
count towards the process's memory (a load reads 10 MB less; the kernel maps a touched page's
cached neighbours with it, 64 KiB at a time, so a few thousand varied questions still touch
most of the arrays, and nothing more is saved). A table of which questions read a few rows
(the word vectors and their words) is read with `os.pread` instead, where `file_region` places
it in the file: its pages are then never mapped. Layout: a header (`_HEADER`: magic, the
pickle's length, the arrays' span), the pickle, then from the next page boundary the arrays,
each starting at a multiple of `_ALIGN`. The file is only ever replaced whole (`os.replace`),
never rewritten, as a process that has it mapped would fault on pages cut from under it.
"""

from __future__ import annotations

import gc
import itertools
import mmap
import operator
import os
import pickle
import struct
import sys
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import rapidfuzz

from bot.core.config import ENGINE_CACHE_KEEP, MatchConfig

try:
    # hashlib's own blake2b, without hashlib: importing hashlib loads OpenSSL (some 3.6 MiB of a
    # process that reads a cached engine, the only hashing such a start does), and blake2b is
    # CPython's own code in every build.
    from _blake2 import blake2b
except ImportError:  # an interpreter without the module (none of CPython's builds)
    from hashlib import blake2b

ENV = "CNRP_CACHE_DIR"
FORMAT = 4  # bumped when the file's layout changes in a way the hash of the code cannot see
_PACKAGE = Path(__file__).resolve().parents[1]  # the `bot` package
_PREFIX = "engine-"
_SUFFIX = ".pickle"
# The keys `cache_key` found, kept so that unchanged files are not hashed again at every start.
_KEYS = "keys"
# A file whose times are this recent may yet change without changing them (file systems keep
# times as coarse as 2 s), so the key found for it is not kept (see `cache_key`).
_RACY_NS = 2_000_000_000
_HEADER = struct.Struct("<8sQQ")
_MAGIC = b"cnrpeng" + bytes([FORMAT])
_ALIGN = 64  # any array's items are aligned at a multiple of this (numpy's widest is 16)
# What an array's pickle holds in place of the mapped file: the one buffer handed out of band
# (writable, so that no opcode asks for a read-only view of it: the mapping is read-only anyway).
_ARRAYS = pickle.PickleBuffer(bytearray())
# Each engine file's mapping this process still holds, by the address it starts at: its length,
# a descriptor of the file (closed with the mapping) and the file offset it starts at.
_MAPPED: dict[int, tuple[int, int, int]] = {}


def _padded(length: int, boundary: int) -> int:
    return -(-length // boundary) * boundary


def cache_dir() -> Path | None:
    """Where built engines are kept, or None when the cache is off."""
    chosen = os.environ.get(ENV)
    if chosen is not None:
        return Path(chosen).expanduser() if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cnrp-bot"


def _files(root: Path) -> list[tuple[str, str]]:
    """(path relative to `root`, full path) of every file under `root` that a build may read, in
    a fixed order (compiled bytecode is derived from the sources, so it is left out)."""
    found: list[tuple[str, str]] = []
    top = str(root)
    for folder, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        inner = os.path.relpath(folder, top)
        found += [(name if inner == "." else os.path.join(inner, name), os.path.join(folder, name))
                  for name in sorted(names) if not name.endswith((".pyc", ".pyo"))]
    return found


def cache_key(root: Path, config: MatchConfig) -> str:
    """The hash of everything a built engine depends on. Raises OSError when a file cannot be
    read (the caller then builds without the cache).

    Hashing the files' bytes (some 4.5 MB, the word vectors most of it) was a quarter of the
    time a start spent before reading the engine, so the key found for the files as they were
    (`_KEYS`) is kept under a hash of their names and `os.stat` (size, times, inode): while
    none of them is touched, their bytes are not read again. Python itself trusts a source
    file's time and size to reuse its bytecode. A file changed within `_RACY_NS` of the key's
    making could keep its times (a file system's clock ticks coarsely), so the key is kept only
    when every file is older than that.
    """
    started = time.time_ns()
    files = [(relative, full, os.stat(full)) for base in (root, _PACKAGE) for relative, full in _files(base)]
    head = [f"format {FORMAT}", sys.version, np.__version__, rapidfuzz.__version__, repr(config), str(root)]
    signature = blake2b("\0".join(head).encode(), digest_size=16)
    for relative, _, stat in files:
        signature.update(f"\0{relative}\0{stat.st_size} {stat.st_mtime_ns} {stat.st_ctime_ns} {stat.st_ino} "
                         f"{stat.st_dev}".encode())
    folder = cache_dir()
    known = _known_keys(folder)
    quick = signature.hexdigest()
    if quick in known:
        return known[quick]
    digest = blake2b(digest_size=16)
    for part in head:
        digest.update(part.encode() + b"\0")
    for relative, full, _ in files:
        digest.update(relative.encode() + b"\0")
        with open(full, "rb") as file:
            digest.update(blake2b(file.read(), digest_size=32).digest())
    key = digest.hexdigest()
    if folder is not None and all(max(s.st_mtime_ns, s.st_ctime_ns) < started - _RACY_NS for _, _, s in files):
        _remember_key(folder, quick, key, known)
    return key


def _known_keys(folder: Path | None) -> dict[str, str]:
    """The keys `cache_key` found before, by the hash of their files' names and stat, newest
    first; none when there is no cache or its file cannot be read."""
    if folder is None:
        return {}
    try:
        # Bytes decoded, not a text file: bytes.decode has ASCII built in, where a text file
        # looks its codec up (importing encodings.ascii, at every start).
        lines = (folder / _KEYS).read_bytes().decode("ascii").splitlines()
    except (OSError, ValueError):
        return {}
    pairs = (line.split(" ") for line in lines)
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2 and len(pair[0]) == len(pair[1]) == 32}


def _remember_key(folder: Path, quick: str, key: str, known: dict[str, str]) -> None:
    """Keep `key` under `quick` with the newest of the others, as many as there are engines
    (`ENGINE_CACHE_KEEP`), replacing the file whole; a failure only means hashing next time."""
    kept = [(quick, key), *((q, k) for q, k in known.items() if q != quick)][:ENGINE_CACHE_KEEP]
    text = "".join(f"{q} {k}\n" for q, k in kept).encode("ascii")
    try:
        _replace_whole(folder, _KEYS, lambda file: file.write(text))
    except OSError:
        return


def _replace_whole(folder: Path, name: str, fill: Callable[[BinaryIO], object]) -> None:
    """Write `folder / name` whole: `fill` writes a scratch file beside it, which then replaces
    it, so a reader never sees half a file; the scratch file is removed on any failure."""
    import tempfile  # only when something is written: a start that reads the cache never needs it

    folder.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=f".{name}")
    try:
        with os.fdopen(handle, "wb") as file:
            fill(file)
        os.replace(scratch, folder / name)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


class _SharingPickler(pickle.Pickler):
    """Stores one object for each value of a frozenset, a string, a float or a tuple of
    strings, however many equal ones the engine holds.

    A built engine holds some 10,000 frozensets, half of them equal to another one (thousands
    are empty). Unpickled the plain way, each gets its own table, grown as it fills to up to
    twice the size it needs; here each is made once from a dict of its items, sized once: some
    2.6 MiB less of a running bot's memory. A build also makes the same word over and over
    (each phrasing's terms, each index's keys), the same weights and the same word tuples, and
    pickle shares an object, not a value (a float not even that): each copy came back as an
    object of its own, some 9,500 strings, 11,000 floats and 3,000 tuples (1 MB) more than the
    distinct values. All are immutable, so sharing one among its users changes nothing they
    can see; floats are told apart by their bits (0.0 is not -0.0), tuples only when they hold
    nothing but strings (an int and a float may be equal, and a bool and an int).

    Each copy is stored as a persistent id, a 1-tuple of the first object of its value: the
    same tuple for all copies, which pickle stores once and then refers to, and which
    `persistent_load` (an itemgetter, called in C) opens; a frozenset's id holds a
    `_Frozenset` that reads back as the set. (A frozenset, a string, a float and a tuple are of
    the types that `reducer_override` is not asked about; `persistent_id` is asked about every
    object.)
    """

    def __init__(self, file: Any) -> None:
        super().__init__(file, protocol=5, buffer_callback=_in_band)
        # Each array's bytes, with where they start after the pickle (`_arrays_start`), and the span.
        self.arrays: list[tuple[int, memoryview]] = []
        self.span = 0
        self._frozensets: dict[frozenset[Any], tuple[_Frozenset]] = {}
        # The first object of each value (a float's under its bits), and its persistent id.
        self._firsts: dict[Any, Any] = {}
        self._ids: dict[Any, tuple[Any]] = {}

    def persistent_id(self, obj: Any) -> tuple[Any] | None:
        kind = type(obj)
        if kind is str or kind is float or (kind is tuple and all(type(item) is str for item in obj)):
            key = struct.pack("<d", obj) if kind is float else obj
            first = self._firsts.setdefault(key, obj)
            if first is obj:
                return None  # stored as itself
            found = self._ids.get(key)
            if found is None:
                found = self._ids[key] = (first,)
            return found
        if kind is frozenset:
            made = self._frozensets.get(obj)
            if made is None:
                made = self._frozensets[obj] = (_Frozenset(tuple(obj)),)
            return made
        return None

    def reducer_override(self, obj: Any) -> Any:
        """An array of numbers as a call of `np.ndarray` itself over the mapped file, its bytes
        stored after the pickle: reading it back is one call in C, where numpy's own pickle
        calls a Python function with a view of its own bytes for each of the engine's 2,400
        arrays. Other objects (an array of objects, one laid out in neither C nor Fortran
        order, a subclass) are pickled as they pickle themselves, their bytes in the pickle."""
        if type(obj) is not np.ndarray or obj.dtype.hasobject:
            return NotImplemented
        flags = obj.flags
        if not (flags.c_contiguous or flags.f_contiguous):
            return NotImplemented
        offset = self.span
        self.arrays.append((offset, obj.ravel(order="A").data))  # a view of its bytes in order
        self.span = _padded(offset + obj.nbytes, _ALIGN)
        return np.ndarray, (obj.shape, obj.dtype, _ARRAYS, offset, None, "C" if flags.c_contiguous else "F")


def _in_band(buffer: pickle.PickleBuffer) -> bool:
    """Only `_ARRAYS` is handed out of band (an array numpy pickles itself keeps its bytes in
    the pickle)."""
    return buffer is not _ARRAYS


class _Frozenset:
    """A frozenset's items, stored so that reading them back makes the set from a dict of them:
    from a dict, whose size is known, the table is sized once for the items; from the items
    one by one it would grow as it fills. Both calls are in C."""

    __slots__ = ("items",)

    def __init__(self, items: tuple[Any, ...]) -> None:
        self.items = items

    def __reduce__(self) -> tuple[Any, ...]:
        return frozenset, (dict.fromkeys(self.items),)


class _SharingUnpickler(pickle.Unpickler):
    persistent_load = operator.itemgetter(0)

    def __init__(self, file: Any, arrays: memoryview) -> None:
        # Every array's call is handed the same buffer, the mapped file (see `reducer_override`).
        super().__init__(file, buffers=itertools.repeat(arrays))


def settle() -> None:
    """Moves every object the process holds now (a just-built engine among them) out of the
    collector's sight, as `read` does for an engine it reads (see there), after collecting once:
    no garbage the build left is kept."""
    gc.collect()
    gc.freeze()


def read(key: str) -> Any | None:
    """The engine stored under `key`, or None when there is none or it cannot be read."""
    folder = cache_dir()
    if folder is None:
        return None
    # Unpickling makes some hundred thousand objects, none of them garbage: the collector's
    # passes over them would more than double the time (80 ms instead of 30 here), and the
    # first passes after it would cost the first answer some 15 ms. They live as long as the
    # engine, so they are moved out of the collector's sight (`gc.freeze`); an engine holds no
    # reference cycles, so one that a /reload replaces is still freed, by reference counting.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with (folder / f"{_PREFIX}{key}{_SUFFIX}").open("rb") as file:
            engine = _SharingUnpickler(file, _mapped_arrays(file)).load()
        gc.freeze()
        return engine
    except Exception:  # missing, truncated, or written by code that no longer unpickles it
        return None
    finally:
        if collecting:
            gc.enable()


def _arrays_start(pickled: int) -> int:
    """Where the arrays go after a pickle of `pickled` bytes: the next page boundary, as a
    mapping's start must be."""
    return _padded(_HEADER.size + pickled, mmap.ALLOCATIONGRANULARITY)


def _mapped_arrays(file: BinaryIO) -> memoryview:
    """The arrays' bytes in the mapped file, and `file` left at the start of the pickle.
    Raises ValueError when the file is not one `write` finished."""
    magic, pickled, span = _HEADER.unpack(file.read(_HEADER.size))
    if magic != _MAGIC:
        raise ValueError("not an engine file of this format")
    start = _arrays_start(pickled)
    if os.fstat(file.fileno()).st_size != start + span:
        raise ValueError("a short or overlong engine file")
    if not span:
        return memoryview(b"")
    # The mapping lives as long as an array over it does, so as long as the engine's arrays.
    mapping = mmap.mmap(file.fileno(), span, access=mmap.ACCESS_READ, offset=start)
    mapped = memoryview(mapping)
    if hasattr(os, "pread"):  # see `file_region`
        address = int(np.frombuffer(mapped, dtype=np.uint8, count=1).ctypes.data)
        _MAPPED[address] = (span, os.dup(file.fileno()), start)
        weakref.finalize(mapping, _unmapped, address)
    return mapped


def _unmapped(address: int) -> None:
    _, descriptor, _ = _MAPPED.pop(address)
    os.close(descriptor)


def file_region(array: np.ndarray[Any, Any]) -> tuple[int, int] | None:
    """Where the bytes of `array` (C-contiguous) are in an engine file this process reads in
    place: a descriptor of the file, open as long as the mapping, and the offset. A reader of a
    few rows of a large table reads them with `os.pread`, through the page cache, instead of
    touching the mapping: a touched page maps its cached neighbours with it, 64 KiB at a time or
    a whole 2 MiB folio, and all of them count towards the process's memory. None for any other array (one built in
    memory, or where there is no `os.pread`)."""
    if not array.flags.c_contiguous:
        return None
    address = int(array.ctypes.data)
    for start, (length, descriptor, offset) in list(_MAPPED.items()):
        if start <= address and address + array.nbytes <= start + length:
            return descriptor, offset + address - start
    return None


def write(key: str, engine: Any) -> None:
    """Store `engine` under `key`, atomically (a reader never sees half a file), and drop all
    but the newest few; any failure leaves the cache as it was."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        _replace_whole(folder, f"{_PREFIX}{key}{_SUFFIX}", lambda file: _write_file(file, engine))
        stored = sorted(folder.glob(f"{_PREFIX}*{_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in stored[ENGINE_CACHE_KEEP:]:
            old.unlink(missing_ok=True)
    except Exception:  # read-only home, full disk, an engine that will not pickle: build each time
        return


def _write_file(file: BinaryIO, engine: Any) -> None:
    """`engine` in the layout `_mapped_arrays` reads (the module's docstring)."""
    file.write(bytes(_HEADER.size))  # the header, once the pickle's length is known
    pickler = _SharingPickler(file)
    pickler.dump(engine)
    pickled = file.tell() - _HEADER.size
    start = _arrays_start(pickled)
    for offset, buffer in pickler.arrays:
        file.seek(start + offset)
        file.write(buffer)
    file.truncate(start + pickler.span)  # the padding after the last array
    file.seek(0)
    file.write(_HEADER.pack(_MAGIC, pickled, pickler.span))
