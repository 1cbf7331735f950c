"""The working corpus directory of a campaign (``<out>/corpus``, SPEC 3.2): fuzz -> **files**.

Data flow: the engines keep and prune inputs (``fuzzcore.fuzz``) -> :class:`CorpusWriter`
mirrors what this process holds, in batches -> :class:`CorpusFiles` creates and removes the
files (``<dir>/<sha1>``: libFuzzer's layout, so Atheris harnesses and ``--corpus`` read them),
in a helper process (:class:`DiskWriter`) so that the campaign never waits for the disk.

Why a helper process: engines keep thousands of inputs a second.  A file operation per input
made a campaign three times slower than its engines; batching (an input pruned before the next
flush never touches the disk) fixed that, but a batch is still tens of thousands of files, and
on a VM's disk a file creation costs 0.1-1 ms of system time: a one-job campaign spent 9.5 s of
its 60 writing (BENCHMARKS.md).  A thread would not help: every system call gives up the GIL
and waits for the fuzzing thread to hand it back.
"""
from __future__ import annotations

import hashlib
import os
import signal
import time
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import Callable

FLUSH_INTERVAL = 5.0         # seconds between batches of one process (written in the background)
JOBS_FLUSH_INTERVAL = 2.0    # ... when --jobs workers share the directory

Batch = tuple[dict[str, bytes], list[str]]      # (inputs to write by name, names to remove)


def input_hash(data: bytes) -> str:
    """The name of an input: the hex SHA-1 of its bytes (libFuzzer's convention)."""
    return hashlib.sha1(data).hexdigest()


def write_input(path: str | os.PathLike[str], data: bytes) -> None:
    """Write one working-corpus input through a hidden temporary file and ``os.replace``:
    readers (other jobs) see the whole file or none.  No fsync: there are thousands of them
    and each is only an input; findings go through :func:`fuzzcore.corpus.atomic_write`.
    Plain ``os`` calls: a campaign writes thousands a second."""
    path = os.fspath(path)
    head, name = os.path.split(path)
    tmp = os.path.join(head, f".{name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class CorpusFiles:
    """Applies batches to the directory.  It removes only files it created: a name already
    there is a seed or another job's file, never its to remove.  After the first write that
    fails it writes nothing more (the campaign's corpus stays in memory)."""

    def __init__(self, folder: Path):
        self.folder = str(folder)
        self.created: set[str] = set()
        self.failed = False

    def apply(self, batch: Batch) -> str | None:
        """Write, then remove; the one-line warning of a failed write, else None."""
        pending, unwanted = batch
        error = None
        for name, data in pending.items():
            if self.failed:
                break
            path = os.path.join(self.folder, name)
            if os.path.exists(path):
                continue
            try:
                write_input(path, data)
            except OSError as e:
                self.failed = True
                error = (f"fuzzcore: cannot write corpus file {path}: {e.strerror or e}; "
                         "the corpus stays in memory")
                break
            self.created.add(name)
        for name in unwanted:
            if name in self.created:
                self.created.discard(name)
                try:
                    os.unlink(os.path.join(self.folder, name))
                except OSError:
                    pass
        return error


SYNC, END = "sync", None       # the campaign's requests besides batches; each is answered None


def _serve(files: CorpusFiles, conn: Connection) -> None:
    """The helper's loop: apply each batch in order and answer it with ``("applied", warning
    or None)``; answer SYNC and END with None, and leave after END (or when the campaign is
    gone)."""
    # Ctrl-C reaches the whole process group: the campaign stops fuzzing and sends its last
    # batch; the helper must live to write it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        if batch == SYNC or batch is END:
            conn.send(None)
            if batch is END:
                return
            continue
        conn.send(("applied", files.apply(batch)))


class DiskWriter:
    """Runs a :class:`CorpusFiles` in a helper process, or inline where ``os.fork`` is missing.
    The helper is forked at once, before the campaign builds its engines: forked later it
    kept the copy-on-write originals of every page the campaign wrote since (140 MB of a
    240 MB campaign, forked 5 s in); now it holds little more than the interpreter.
    :meth:`submit` hands a batch over and returns at once; :meth:`busy` says whether the helper
    is still on one (the campaign then keeps gathering: the disk sets the pace, and an input
    pruned meanwhile never touches it); :meth:`close` waits until every batch is on disk."""

    def __init__(self, folder: Path):
        self.files = CorpusFiles(folder)
        self.conn: Connection | None = None
        self.pid = 0
        self.in_flight = 0                  # batches handed over and not yet applied
        self.errors: list[str] = []
        if hasattr(os, "fork"):
            self._start()

    def busy(self) -> bool:
        if self.conn is not None and self.in_flight:
            self._collect(wait=False)
        return self.conn is not None and self.in_flight > 0

    def submit(self, batch: Batch) -> None:
        if self.conn is None and not self.pid:          # no helper: inline
            error = self.files.apply(batch)
            if error is not None:
                self.errors.append(error)
            return
        if self.conn is not None:
            self._collect(wait=False)
        if self.conn is None:
            return                      # it died (said so once) or was closed: dropped
        try:
            self.conn.send(batch)
            self.in_flight += 1
        except OSError:
            self._reap(died=True)

    def _start(self) -> None:
        parent, child = Pipe()
        pid = os.fork()
        if pid == 0:                        # the helper: serve, then leave without clean-up
            status = 0
            try:
                parent.close()
                _serve(self.files, child)
            except BaseException:           # noqa: BLE001 - the campaign sees the pipe close
                status = 1
            finally:
                os._exit(status)
        child.close()
        self.conn, self.pid = parent, pid

    def _collect(self, wait: bool) -> bool:
        """Read the helper's answers; with ``wait``, until it answers SYNC or END (True) or
        is gone (False)."""
        assert self.conn is not None
        while wait or self.conn.poll():
            try:
                msg = self.conn.recv()
            except (EOFError, OSError):
                self._reap(died=True)
                return False
            if msg is None:
                return True
            _, error = msg
            self.in_flight -= 1
            if error is not None:
                self.errors.append(error)
        return False

    def sync(self) -> None:
        """Wait until the helper has applied every batch handed over so far."""
        if self.conn is not None:
            self._request(SYNC)

    def close(self) -> None:
        """Wait until the helper has applied every batch, and reap it."""
        if self.conn is not None:
            self._request(END)

    def _request(self, what: str | None) -> None:
        assert self.conn is not None
        try:
            self.conn.send(what)
        except OSError:
            self._reap(died=True)
            return
        if self._collect(wait=True) and what is END:
            self._reap(died=False)

    def _reap(self, died: bool) -> None:
        """The helper has ended (or died): close the pipe and wait for it.  Batches after
        that are dropped; after a death CorpusWriter stops at the warning anyway."""
        assert self.conn is not None
        self.conn.close()
        self.conn = None
        self.in_flight = 0
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        if died:
            self.errors.append("fuzzcore: the corpus directory's writer process died; "
                               "some inputs may not be on disk")


class CorpusWriter:
    """Mirrors this process's in-memory corpora in ``<dir>/<sha1>``: an input's file is
    written when an engine keeps it, and removed when no engine here holds it any more
    (pruning), if this process wrote it: seeds and other jobs' files are never removed.  So
    the directory stays about as small as the corpora, and whole at every moment.  If it
    cannot be written, one warning, and the corpus stays in memory.

    Writes and removals are batched (:meth:`flush`, at most every ``interval`` seconds from the
    campaign loop, and only when the :class:`DiskWriter` is done with the last batch) and
    handed to it; :meth:`close`, at the campaign's end, sends the last batch and waits until
    all are on disk."""

    def __init__(self, folder: Path | None, log: Callable[[str], None],
                 interval: float = FLUSH_INTERVAL):
        self.folder = folder
        self.log = log
        self.interval = interval
        self.holders: dict[str, int] = {}   # name -> engines of this process holding it
        self.ours: set[str] = set()          # handed to the disk and not sent for removal
        self.written: set[str] = set()       # every name handed to the disk (imports skip)
        self.pending: dict[str, bytes] = {}  # kept since the last flush, not handed over yet
        self.unwanted: set[str] = set()      # our files no engine holds, to remove
        self.failed = False
        self.last_flush = time.monotonic()
        self.disk = DiskWriter(folder) if folder is not None else None
        self.waited = 0.0                    # seconds close() waited for the disk

    def add(self, data: bytes) -> None:
        if self.folder is None:
            return
        name = input_hash(data)
        held = self.holders.get(name, 0)
        self.holders[name] = held + 1
        if held or self.failed:
            return
        if name in self.unwanted:
            self.unwanted.discard(name)     # written, dropped, kept again: leave the file
        elif name not in self.ours:
            self.pending[name] = data

    __call__ = add

    def drop(self, data: bytes) -> None:
        if self.folder is None:
            return
        name = input_hash(data)
        held = self.holders.get(name, 0) - 1
        if held > 0:
            self.holders[name] = held
            return
        self.holders.pop(name, None)
        if self.pending.pop(name, None) is None and name in self.ours:
            self.unwanted.add(name)

    def flush_due(self) -> None:
        if time.monotonic() - self.last_flush >= self.interval and not (
                self.disk is not None and self.disk.busy()):
            self.flush()

    def flush(self) -> None:
        """Hand over what was kept and what was pruned since the last flush."""
        self.last_flush = time.monotonic()
        pending, self.pending = self.pending, {}
        unwanted, self.unwanted = self.unwanted, set()
        if self.disk is None or self.failed or not (pending or unwanted):
            return
        self.ours.update(pending)
        self.written.update(pending)
        self.ours.difference_update(unwanted)
        self.disk.submit((pending, list(unwanted)))
        self._report()

    def sync(self) -> None:
        """Hand over what is pending and wait until it is on disk."""
        self.flush()
        if self.disk is not None:
            self.disk.sync()
            self._report()

    def close(self) -> None:
        """The last batch, then wait until everything is on disk (``waited``: how long)."""
        self.flush()
        if self.disk is not None:
            t = time.monotonic()
            self.disk.close()
            self.waited = time.monotonic() - t
            self._report()

    def _report(self) -> None:
        assert self.disk is not None
        errors, self.disk.errors = self.disk.errors, []
        if errors and not self.failed:
            self.failed = True
            self.log(errors[0])
