"""Writing a file so that it is either wholly there or not changed at all.

Every file deepbasics writes (model files, figures, downloaded data, the
examples' images) goes through :func:`writeAtomically`: the content is
written under a hidden temporary name in the target's folder and renamed
into place only when complete. A failed or interrupted write (a full disk,
Ctrl-C, an exception in the writer) leaves no half-written file behind and
keeps the old file as it was.

The new file gets the permissions a plain ``open(path, "w")`` would give it
(``0o666`` less the umask), or the old file's permissions when one is
replaced.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "hello.txt")
>>> writeAtomically(path, lambda file: file.write(b"hello")) == path
True
>>> open(path).read()
'hello'
"""

import os
import stat
import uuid


def writeAtomically(path, write):
    """Call ``write(file)`` on a binary file that replaces ``path`` only once ``write`` returns.

    Parameters
    ----------
    path : str or os.PathLike
        Where the file goes. Its folder must exist.
    write : callable ``write(file)``
        Writes the content to the open binary ``file``.

    Returns
    -------
    str
        ``path``, as a string.

    Raises
    ------
    FileNotFoundError
        When the folder does not exist, naming the folder (not the hidden
        temporary file).
    """
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist")
    temporary = os.path.join(folder, f".{name}.{uuid.uuid4().hex[:12]}.part")
    # O_EXCL: never write through a file (or link) that is already there.
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
        if os.path.exists(path):
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path
