"""Writing a file so that no reader ever sees half of it: beside its target first, then renamed over it.

The one helper every writer of the home uses (raw landing, Parquet, the data-quality log, checkpoints, the serving
snapshot). A crash leaves at most a hidden staging file (`.<name>.<pid>.tmp`: dbt's, Spark's and the API's globs skip
names starting with a dot), never a partial file under the target's name; a failed write — a full disk, a file-size
limit — removes its staging file and says so in one `DiskFull` naming the file, the target left as it was.
"""
from __future__ import annotations

import contextlib
import errno
import os
import threading
from collections.abc import Iterator
from pathlib import Path

# What a full disk (or a quota, or a file-size limit) looks like to a writer.
FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


class DiskFull(OSError):
    """No room to write a file: nothing was written in its place, what was there before is unchanged."""

    def __str__(self) -> str:   # the message alone, without OSError's "[Errno 28]"
        return self.strerror or super().__str__()


def is_disk_full(error: BaseException) -> bool:
    """A full disk, seen through whatever library raised it (DuckDB and Arrow raise their own errors, naming the
    operating system's in their message)."""
    if isinstance(error, OSError) and error.errno in FULL:
        return True
    text = str(error)
    return any(os.strerror(code) in text for code in FULL)


def disk_full(error: BaseException, path: Path, what: str = "") -> DiskFull:
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error).splitlines()[0]
    return DiskFull(errno.ENOSPC, f"no room to write {what or path.name} ({reason}): {path} was left as it was, "
                                  "nothing half-written in its place; free some space and run again")


def staging_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


@contextlib.contextmanager
def replacing(path: Path, what: str = "") -> Iterator[Path]:
    """A staging path to write; renamed onto `path` when the block ends, removed if it raises (a full disk becomes
    `DiskFull`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = staging_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as error:
        tmp.unlink(missing_ok=True)
        if is_disk_full(error) and not isinstance(error, DiskFull):
            raise disk_full(error, path, what) from error
        raise


def write_bytes_atomic(path: Path, content: bytes) -> None:
    with replacing(path) as tmp:
        tmp.write_bytes(content)


def write_text_atomic(path: Path, text: str) -> None:
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_parquet_atomic(table, path: Path) -> None:
    import pyarrow.parquet as pq

    with replacing(path) as tmp:
        pq.write_table(table, tmp)


def append_line(path: Path, line: str) -> None:
    """One line appended in one write (O_APPEND: lines of concurrent writers never interleave); a full disk is
    `DiskFull`."""
    data = (line.rstrip("\n") + "\n").encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if os.write(fd, data) != len(data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        finally:
            os.close(fd)
    except OSError as error:
        if is_disk_full(error):
            raise disk_full(error, path) from error
        raise


class HomeBusy(RuntimeError):
    """Another `oversight run` holds the home."""


@contextlib.contextmanager
def run_lock(home: Path) -> Iterator[None]:
    """One `oversight run` at a time in a home: two would build the same DuckDB warehouse (the second's dbt fails on
    DuckDB's file lock, after it has ingested) and race to publish. An exclusive `flock` on `<home>/.run.lock`, held
    for the run and released by the system however the process ends (a kill included); the holder's pid is written
    in it, for the refusal's message."""
    import fcntl

    home.mkdir(parents=True, exist_ok=True)
    path = home / ".run.lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise HomeBusy(f"another `oversight run` is running in {home} ({holder}): wait for it to finish, or "
                           "give this one another OVERSIGHT_HOME") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
