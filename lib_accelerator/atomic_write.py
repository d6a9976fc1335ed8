"""Replace a file so that a reader sees the old or the new content, never half of one.

The bytes go to a temporary file of a unique name in the target's own folder (so `os.replace` is a rename on
one file system, which is atomic) and are renamed over the target only once they are all written. The name
is unique per call (`tempfile.mkstemp`), not per process: two gradio threads saving the same file at the
same moment each write their own temporary file, and the last rename wins with a complete file. The
temporary file is removed when anything fails, including a `check` that rejects what was written.

Not for downloads: `download/ensure.py` keeps its `.part` file on failure on purpose, to resume from it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "write_text_atomic"]


def _umask() -> int:
    """The process umask, without changing it where the system can tell (Linux); elsewhere it is set and
    put back once, at import, which is before the WebUI's worker threads create files."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass  # no /proc (macOS, Windows) or an old kernel without the line: ask os.umask below
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_NEW_FILE_MODE = 0o666 & ~_umask()


def _mode_for(target: Path) -> int:
    # mkstemp creates 0600; a recipe or converted LoRA should get the permissions open() would give it,
    # and a file that is replaced keeps its own.
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return _NEW_FILE_MODE


@contextmanager
def atomic_write(
    target: Path,
    *,
    suffix: str = ".tmp",
    durable: bool = False,
    check: Callable[[Path], object] | None = None,
) -> Iterator[BinaryIO]:
    """Write `target` through a binary file handle; the target changes only when the block ends cleanly.

    `suffix` ends the temporary name (`.<target name>.<random><suffix>`): pick one the folder's readers
    ignore, e.g. never `.safetensors` in a LoRA folder. `durable` fsyncs before the rename (for large files
    that must survive a crash, at the cost of waiting for the disk). `check(temp_path)` runs on the complete
    temporary file before the rename; if it raises, the target is left as it was.
    """
    target = Path(target)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(temp, _mode_for(target))
        if check is not None:
            check(temp)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_text_atomic(target: Path, text: str, *, suffix: str = ".tmp") -> None:
    """`atomic_write` for a whole text, in UTF-8."""
    with atomic_write(target, suffix=suffix) as handle:
        handle.write(text.encode("utf-8"))
