"""The .keras zip archive, read and written safely.

Writing is atomic: the archive goes to a temporary file in the target's directory
(``.NAME.<pid>.<random>.tmp``), is fsynced, then renamed over the target (``os.replace``), so a
failure part-way leaves any old file intact; the next save of the same path removes the
temporary files left by saves whose process was killed.

Reading never extracts anything to disk and opens regular files only (a device, FIFO or a link
to one could be read forever or block). Members are looked up by exact name and read into
memory, after the zip directory has been checked for unsafe names (path traversal), unexpected or
missing members, encryption, unsupported compression and zip bombs (declared sizes over the limits
below, a compression ratio over ``MAX_COMPRESSION_RATIO``, compressed sizes that do not fit in
the real file); each member is then read in chunks under a running cap tied to the real file's
size, however its stream inflates. Every problem is a ``ValueError``.
"""
from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
import time
import zipfile

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.safetensors"
# what Keras 3 writes (HDF5): read, never written
H5_WEIGHTS_FILENAME = "model.weights.h5"
MEMBERS = (METADATA_FILENAME, CONFIG_FILENAME, WEIGHTS_FILENAME)
# an archive holds the config, the metadata and one of the two weights members
ALLOWED_MEMBERS = MEMBERS + (H5_WEIGHTS_FILENAME,)

# limits on what an archive may declare, checked from the zip directory before reading anything
MAX_TOTAL_SIZE = 4 * 1024**3  # all members together, uncompressed
MAX_MEMBER_SIZE = {METADATA_FILENAME: 1024**2, CONFIG_FILENAME: 64 * 1024**2, WEIGHTS_FILENAME: 4 * 1024**3,
                   H5_WEIGHTS_FILENAME: 4 * 1024**3}
MAX_COMPRESSION_RATIO = 100  # uncompressed / compressed, for any member ...
RATIO_EXEMPT_SIZE = 64 * 1024  # ... larger than this (tiny members can compress well and do no harm)
MAX_MEMBERS = 64  # entries in the zip directory (more is rejected before looking further)


class FileExistsValueError(FileExistsError, ValueError):
    """``overwrite=False`` and the file exists (catchable as FileExistsError or ValueError)."""


def _describe(source):
    return repr(os.fspath(source)) if isinstance(source, (str, bytes, os.PathLike)) else "the given file object"


def unsafe_member_name(name):
    """Why ``name`` is not a safe archive member name, or None when it is."""
    if not isinstance(name, str) or not name:
        return "an empty name"
    if "\x00" in name or any(ord(c) < 32 for c in name):
        return "a control character in the name"
    if "\\" in name:
        return "a backslash (Windows path separator)"
    if name.startswith("/") or (len(name) >= 2 and name[1] == ":"):
        return "an absolute path"
    parts = name.rstrip("/").split("/")
    if any(p in ("..", ".") for p in parts):
        return "path traversal ('..' or '.')"
    if any(p == "" for p in parts):
        return "an empty path component"
    return None


# ---------------------------------------------------------------------------------------- writing
def _file_mode(path):
    """The mode a new file would get (0o666 less the umask), or the existing file's mode."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _fsync_dir(directory):
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True  # someone else's process, or no way to tell: leave its file alone
    return True


def remove_stale_temps(directory, base):
    """Removes the temporary files that saves of ``base`` left behind when their process was
    killed (``.BASE.<pid>.<random>.tmp``, written by a process that no longer runs); a live
    process's temporary file is left alone."""
    head = f".{base}."
    try:
        names = [n for n in os.listdir(directory) if n.startswith(head) and n.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        pid = name[len(head):-len(".tmp")].split(".", 1)[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, name))


def check_overwrite(filepath, overwrite):
    if not overwrite and os.path.exists(filepath):
        raise FileExistsValueError(f"File {filepath!r} already exists and overwrite=False; pass overwrite=True to replace it.")


def atomic_write(filepath, write, overwrite=True):
    """Calls ``write(fileobj)`` on a temporary file next to ``filepath``, fsyncs it and renames it
    over ``filepath``. Any failure removes the temporary file and leaves ``filepath`` as it was."""
    filepath = os.fspath(filepath)
    check_overwrite(filepath, overwrite)
    directory = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Cannot save to {filepath!r}: the directory {directory!r} does not exist.")
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"Cannot save to {filepath!r}: it is a directory.")
    mode = _file_mode(filepath)
    base = os.path.basename(filepath)
    remove_stale_temps(directory, base)
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.{os.getpid()}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, filepath)
        else:
            # link() fails if the target appeared meanwhile, where replace() would clobber it
            try:
                os.link(tmp, filepath)
            except FileExistsError:
                raise FileExistsValueError(
                    f"File {filepath!r} already exists and overwrite=False; pass overwrite=True to replace it."
                ) from None
            except OSError:  # no hard links on this file system
                check_overwrite(filepath, overwrite)
                os.replace(tmp, filepath)
            else:
                os.unlink(tmp)
        _fsync_dir(directory)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write_zip(fileobj, members):
    date_time = time.localtime(time.time())[:6]
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)


def write_archive(target, members, overwrite=True):
    """Writes ``[(name, bytes)]`` as an uncompressed zip: atomically to a path, or to a file object."""
    if hasattr(target, "write") and not isinstance(target, (str, bytes, os.PathLike)):
        _write_zip(target, members)
        return
    atomic_write(target, lambda f: _write_zip(f, members), overwrite=overwrite)


# ---------------------------------------------------------------------------------------- reading
def _check_directory(infos, where, required, file_size):
    if len(infos) > MAX_MEMBERS:
        raise ValueError(f"{where} is not a valid .keras file: its zip directory lists {len(infos)} entries.")
    names = []
    for info in infos:
        why = unsafe_member_name(info.filename)
        if why is not None:
            raise ValueError(f"{where} is not a valid .keras file: unsafe member name {info.filename!r} ({why}).")
        names.append(info.filename)
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"{where} is not a valid .keras file: duplicate members {dupes}.")
    extra = sorted(set(names) - set(ALLOWED_MEMBERS))
    if extra:
        raise ValueError(f"{where} is not a valid .keras file: unexpected members {extra} "
                         f"(a .keras archive holds {list(MEMBERS[:2])} and one of {[WEIGHTS_FILENAME, H5_WEIGHTS_FILENAME]}).")
    if WEIGHTS_FILENAME in names and H5_WEIGHTS_FILENAME in names:
        raise ValueError(f"{where} is not a valid .keras file: it holds both {WEIGHTS_FILENAME!r} and {H5_WEIGHTS_FILENAME!r}.")
    if H5_WEIGHTS_FILENAME in names:  # Keras's archive: its HDF5 weights stand for the safetensors
        required = [H5_WEIGHTS_FILENAME if n == WEIGHTS_FILENAME else n for n in required]
    missing = [n for n in required if n not in names]
    if missing:
        raise ValueError(f"{where} is not a valid .keras file: missing members {missing}.")
    total = ctotal = 0
    for info in infos:
        name = info.filename
        if info.flag_bits & 0x1:
            raise ValueError(f"{where}: member {name!r} is encrypted, which .keras files never are.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(f"{where}: member {name!r} uses an unsupported compression method ({info.compress_type}).")
        size, csize = int(info.file_size), int(info.compress_size)
        if size < 0 or csize < 0:
            raise ValueError(f"{where}: member {name!r} declares a negative size.")
        limit = MAX_MEMBER_SIZE.get(name, MAX_TOTAL_SIZE)
        if size > limit:
            raise ValueError(f"{where}: member {name!r} declares an uncompressed size of {size} bytes, over the "
                             f"limit of {limit} bytes (possible zip bomb); refusing to read it.")
        if info.compress_type == zipfile.ZIP_STORED and size != csize:
            raise ValueError(f"{where}: member {name!r} is stored uncompressed but declares {size} bytes "
                             f"uncompressed and {csize} bytes compressed (corrupt or hostile archive).")
        if size > RATIO_EXEMPT_SIZE and size > MAX_COMPRESSION_RATIO * max(csize, 1):
            raise ValueError(f"{where}: member {name!r} declares a compression ratio of {size / max(csize, 1):.0f} "
                             f"(over {MAX_COMPRESSION_RATIO}; possible zip bomb); refusing to read it.")
        # the compressed bytes must be in the file that is really there (a small file declaring
        # large compressed members would pass the ratio check)
        if int(info.header_offset) + csize > file_size:
            raise ValueError(f"{where}: member {name!r} declares {csize} compressed bytes at offset "
                             f"{info.header_offset}, past the end of the {file_size}-byte file (corrupt or hostile archive).")
        total += size
        ctotal += csize
    if total > MAX_TOTAL_SIZE:
        raise ValueError(f"{where}: the archive declares {total} bytes uncompressed in all, over the limit of "
                         f"{MAX_TOTAL_SIZE} bytes (possible zip bomb); refusing to read it.")
    if ctotal > file_size:
        raise ValueError(f"{where}: the members declare {ctotal} compressed bytes in all, more than the file's "
                         f"{file_size} bytes (corrupt or hostile archive).")


@contextlib.contextmanager
def _open_source(source):
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(bytes(source))
    elif hasattr(source, "read") and hasattr(source, "seek"):
        yield source
    else:
        path = os.fspath(source)
        if not os.path.exists(path):
            raise ValueError(f"File not found: filepath={path}. Please ensure the file is an accessible `.keras` zip file.")
        if os.path.isdir(path):
            raise ValueError(f"{path!r} is a directory, not a `.keras` zip file.")
        with open_regular(path) as f:
            yield f


def open_regular(path):
    """``open(path, "rb")`` for a regular file only: a device, FIFO or socket (or a link to one,
    such as /dev/zero) could be read forever or block, so it is refused, checked on the opened
    descriptor so that the file cannot be swapped in between."""
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ValueError(f"{os.fspath(path)!r} is not a regular file (it is a {_kind(mode)}); refusing to read it.")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _kind(mode):
    for test, name in ((stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"), (stat.S_ISFIFO, "FIFO"),
                       (stat.S_ISSOCK, "socket"), (stat.S_ISDIR, "directory")):
        if test(mode):
            return name
    return "special file"


def _real_size(f):
    pos = f.tell()
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(pos)
    return size


def is_zip(source):
    with _open_source(source) as f:
        pos = f.tell()
        head = f.read(4)
        f.seek(pos)
    return head in (b"PK\x03\x04", b"PK\x05\x06")


READ_CHUNK = 1 << 20


def _read_member(zf, info, where, file_size):
    """The member's bytes, read in chunks under a running cap: its declared size, and no more than
    MAX_COMPRESSION_RATIO times the bytes the file really has (however the stream inflates)."""
    cap = min(int(info.file_size), max(RATIO_EXEMPT_SIZE, MAX_COMPRESSION_RATIO * file_size))
    chunks, got = [], 0
    with zf.open(info) as member:
        while True:
            chunk = member.read(min(READ_CHUNK, cap + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            if got > cap:
                raise ValueError(f"{where}: member {info.filename!r} inflates past {cap} bytes (its declared size, or "
                                 f"{MAX_COMPRESSION_RATIO}x the {file_size}-byte file); refusing to read more "
                                 "(possible zip bomb).")
    return b"".join(chunks)


def read_archive(source, required=MEMBERS, only=None):
    """``{member name: bytes}`` for the members of a .keras archive (``only`` restricts which are
    read), after checking its zip directory against the file."""
    where = _describe(source)
    with _open_source(source) as f:
        file_size = _real_size(f)
        try:
            zf = zipfile.ZipFile(f)
        except Exception as e:  # BadZipFile, truncated or corrupt directories (struct/EOF/OS errors)
            raise ValueError(f"{where} is not a valid .keras file: not a readable zip archive "
                             f"(truncated or corrupt?): {type(e).__name__}: {e}") from None
        with zf:
            infos = zf.infolist()
            _check_directory(infos, where, required, file_size)
            out = {}
            for info in infos:
                if only is not None and info.filename not in only:
                    continue
                try:
                    data = _read_member(zf, info, where, file_size)
                except ValueError:
                    raise
                except Exception as e:  # bad local header, CRC mismatch, truncated data, zlib errors
                    raise ValueError(f"{where}: cannot read member {info.filename!r} (truncated or corrupt "
                                     f"archive): {type(e).__name__}: {e}") from None
                if len(data) != info.file_size:
                    raise ValueError(f"{where}: member {info.filename!r} holds {len(data)} bytes but its zip "
                                     f"directory declares {info.file_size} (truncated or corrupt archive).")
                out[info.filename] = data
            return out
