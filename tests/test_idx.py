"""IDX files: read back what was written, and refuse malformed ones by name."""

import gzip
import struct

import numpy as np
import pytest

from idx import readIdx


def writeIdx(path, array, compress=None):
    array = np.asarray(array, dtype=np.uint8)
    data = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    compress = str(path).endswith(".gz") if compress is None else compress
    with (gzip.open if compress else open)(path, "wb") as file:
        file.write(data)
    return path


def test_read_idx_round_trip(tmp_path):
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    np.testing.assert_array_equal(readIdx(writeIdx(tmp_path / "a.gz", images)), images)
    np.testing.assert_array_equal(readIdx(writeIdx(tmp_path / "b", [7, 8, 9])), [7, 8, 9])


@pytest.mark.parametrize("content, message", [
    (b"\x00\x00\x0d\x01\x00\x00\x00\x01\x05", "not an IDX file of unsigned bytes"),
    (b"PK\x03\x04", "not an IDX file of unsigned bytes"),
    (b"", "magic number missing"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x02", "truncated IDX header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02", r"announces shape \(5,\), i.e. 13 bytes, but the file holds 10 bytes \(truncated\)"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x01\x01\x02", "trailing data"),
])
def test_malformed_idx_files_are_refused_by_name(tmp_path, content, message):
    path = tmp_path / "broken-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as error:
        readIdx(path)
    assert str(path) in str(error.value)


def test_a_truncated_gzip_file_is_refused_by_name(tmp_path):
    path = writeIdx(tmp_path / "x-idx1-ubyte.gz", np.arange(1000) % 256)
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(ValueError, match="not a readable IDX file") as error:
        readIdx(path)
    assert str(path) in str(error.value)
