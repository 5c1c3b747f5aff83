"""IDX files: the format in which MNIST and Fashion-MNIST are published.

An IDX file of unsigned bytes starts with the magic number ``00 00 08 d``
(``d`` the number of dimensions, 1 to 3), then each dimension as a big-endian
32-bit integer, then the values in C order, e.g. ``60000 x 28 x 28`` bytes of
pixels or ``60000`` bytes of labels. The mirrors serve them gzip-compressed.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
>>> _ = open(path, "wb").write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
>>> readIdx(path)
array([7, 2, 1], dtype=uint8)
"""

import gzip
import os
import struct
import zlib

import numpy as np


def readIdx(path):
    """Read an IDX file of unsigned bytes (``.gz`` or not) into a uint8 array.

    Raises ``ValueError`` naming the file when it is not gzip when it says
    so, has a wrong magic number, or holds more or fewer bytes than its
    header announces.
    """
    path = os.fspath(path)
    try:
        with (gzip.open if path.endswith(".gz") else open)(path, "rb") as file:
            data = file.read()
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(f"{path}: not a readable IDX file ({error})") from error
    if len(data) < 4 or data[:3] != b"\x00\x00\x08" or not 1 <= data[3] <= 3:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes (magic number {data[:4].hex() or 'missing'}, "
                         f"expected 00000801, 00000802 or 00000803)")
    dimensions = data[3]
    header = 4 + 4 * dimensions
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(data)} bytes, expected at least {header})")
    shape = struct.unpack(f">{dimensions}I", data[4:header])
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise ValueError(f"{path}: IDX header announces shape {shape}, i.e. {expected} bytes, but the file "
                         f"holds {len(data)} bytes ({'truncated' if len(data) < expected else 'trailing data'})")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)
