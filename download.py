"""Downloading a file whose content is known, from the first mirror that serves it right.

A file is received whole (MNIST's largest is 10 MB), checked against the
SHA-256 of its decompressed content (mirrors re-compress, so the ``.gz``
bytes differ from one mirror to the next) and only then written, through
:func:`files.writeAtomically`: a failed, corrupt or interrupted download
leaves no file behind and keeps an old file as it was. On a terminal a
progress bar shows on standard error.

>>> import gzip
>>> contentSha256(gzip.compress(b"abc"))[0] == contentSha256(b"abc")[0]   # the same content, compressed or not
True
"""

import gzip
import hashlib
import http.client
import os
import sys
import urllib.request
import zlib

from files import writeAtomically

TIMEOUT = 30  # seconds a mirror may stay silent before the next one is tried


def contentSha256(content):
    """``(hexdigest, isGzip)``: the SHA-256 of ``content`` (bytes), decompressed first when it is gzip."""
    isGzip = content[:2] == b"\x1f\x8b"
    try:
        return hashlib.sha256(gzip.decompress(content) if isGzip else content).hexdigest(), isGzip
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"not a readable gzip file ({error})") from error


def _showProgress(name, done, total, end=""):
    """Redraw the progress line on standard error if it is a terminal; ``total`` 0 when unknown."""
    if sys.stderr.isatty():
        size = f"{done / 2**20:.1f}/{total / 2**20:.1f} MiB" if total else f"{done / 2**20:.1f} MiB"
        bar = f"[{'=' * (30 * done // total):.<30}] " if total else ""
        print(f"\r{name}: {bar}{size}", end=end, file=sys.stderr, flush=True)


def _receive(response, name):
    """The whole body of ``response``; ``http.client.IncompleteRead`` when it is cut short."""
    total, content = int(response.headers.get("Content-Length") or 0), bytearray()
    while chunk := response.read(1 << 16):
        content += chunk
        _showProgress(name, len(content), total)
    _showProgress(name, len(content), total, end="\n")
    if total and len(content) != total:
        raise http.client.IncompleteRead(b"", total - len(content))
    return content


def downloadFile(url, folder, fileName, sha256, timeout=None):
    """Fetch ``url`` into ``folder`` as ``fileName`` (``.gz`` added if it is gzip) once its content checks.

    Parameters
    ----------
    url : str
    folder : str or path-like
        An existing folder.
    fileName : str
        The file's name without ``.gz``.
    sha256 : str
        Hex SHA-256 of the (decompressed) content.
    timeout : float, optional
        Seconds the server may stay silent; default ``TIMEOUT``.

    Returns
    -------
    str
        The path written. It gets the permissions ``open()`` gives a new
        file, or the old file's when it replaces one.

    Raises
    ------
    OSError, http.client.HTTPException
        When the server cannot be reached, refuses, or cuts the file short.
    ValueError
        When the content's SHA-256 is not ``sha256``.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "deepbasics"})
    with urllib.request.urlopen(request, timeout=timeout or TIMEOUT) as response:
        content = _receive(response, fileName)
    digest, isGzip = contentSha256(content)
    if digest != sha256:
        raise ValueError(f"SHA-256 of the content is {digest}, expected {sha256}")
    return writeAtomically(os.path.join(folder, fileName + (".gz" if isGzip else "")), lambda file: file.write(content))


def downloadMissing(mirrors, folder, wanted):
    """Fetch each file of ``wanted`` (``{fileName: sha256}``) into ``folder``, trying the mirrors in turn.

    A mirror is a base URL serving ``<fileName>.gz``. ``folder`` is created
    if need be, and removed again (with the parents created for it) when no
    file came. Returns what went wrong, one line per failed attempt (empty
    when every file came); the caller decides whether that is an error.
    """
    created = _missingFolders(folder)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        return [f"cannot create {folder}: {error}"]
    failures = []
    try:
        for fileName, sha256 in wanted.items():
            for base in mirrors:
                url = base.rstrip("/") + "/" + fileName + ".gz"
                try:
                    downloadFile(url, folder, fileName, sha256)
                    break
                except (OSError, ValueError, http.client.HTTPException) as error:
                    failures.append(f"{url}: {error}")
    finally:   # also after Ctrl-C: an empty cache folder would look like a download that half happened
        for path in created:
            if not os.listdir(path):
                os.rmdir(path)
    return failures


def _missingFolders(folder):
    """The folders that ``os.makedirs(folder)`` would create, the deepest first."""
    missing, path = [], os.path.abspath(folder)
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        missing.append(path)
        path = os.path.dirname(path)
    return missing
