"""Downloads: from a local HTTP server, good, corrupt, cut short, missing or interrupted."""

import gzip
import hashlib
import http.client
import http.server
import os
import shutil
import stat
import threading
import urllib.error

import numpy as np
import pytest

import dataset
import download
from dataset import FILES, Dataset


class _Handler(http.server.BaseHTTPRequestHandler):
    routes = {}  # path -> (bytes, mode), mode in {"good", "cut"}

    def do_GET(self):
        if self.path not in self.routes:
            self.send_error(404)
            return
        content, mode = self.routes[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content if mode == "good" else content[: len(content) // 2])
        self.wfile.flush()
        if mode == "cut":
            self.close_connection = True

    def log_message(self, *arguments):
        pass


@pytest.fixture(scope="module")
def server():
    """A local HTTP server with a good copy of MNIST, and corrupt, interrupting and
    uncompressed copies of its smallest training file."""
    from conftest import dataDir

    folder = dataDir()
    if folder is None or not (folder / "mnist").is_dir():
        pytest.skip("real MNIST not found: set DEEPBASICS_DATA_DIR=../shared/data")
    routes = {}
    for fileName in FILES.values():
        routes[f"/good/{fileName}.gz"] = ((folder / "mnist" / f"{fileName}.gz").read_bytes(), "good")
    content = routes["/good/train-labels-idx1-ubyte.gz"][0]
    raw = gzip.decompress(content)
    routes["/corrupt/train-labels-idx1-ubyte.gz"] = (gzip.compress(raw[:-1] + bytes([raw[-1] ^ 1])), "good")
    routes["/cut/train-labels-idx1-ubyte.gz"] = (content, "cut")
    routes["/plain/train-labels-idx1-ubyte.gz"] = (raw, "good")
    routes["/truncated-gzip/train-labels-idx1-ubyte.gz"] = (content[:len(content) // 2], "good")
    _Handler.routes = routes
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def withAllBut(tmp_path, mnistDir, missing="train-labels-idx1-ubyte"):
    """A data folder holding every MNIST file but one, so a download test moves little data."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for fileName in FILES.values():
        if fileName != missing:
            shutil.copy(mnistDir / "mnist" / f"{fileName}.gz", folder)
    return folder


def test_download_of_all_four_files(tmp_path, server, monkeypatch):
    monkeypatch.setattr(download, "TIMEOUT", 10)
    data = Dataset(name="mnist", data_dir=tmp_path, mirror=server + "/good/", train_size=100, test_size=10)
    assert sorted(os.listdir(tmp_path / "mnist")) == sorted(f"{name}.gz" for name in FILES.values())
    np.testing.assert_array_equal(data.y_train[:10].argmax(axis=1), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])


def test_a_corrupt_mirror_is_skipped_for_the_next(tmp_path, mnistDir, server):
    folder = withAllBut(tmp_path, mnistDir)
    Dataset(data_dir=tmp_path, mirror=[server + "/corrupt/", server + "/good/"], train_size=100, test_size=10)
    assert sorted(os.listdir(folder)) == sorted(f"{name}.gz" for name in FILES.values())


@pytest.mark.parametrize("mirror, reason", [("corrupt", "SHA-256 of the content is"),
                                            ("cut", "IncompleteRead"),
                                            ("missing", "404"),
                                            ("truncated-gzip", "not a readable gzip file")])
def test_a_failed_download_leaves_nothing_behind(tmp_path, mnistDir, server, mirror, reason):
    folder = withAllBut(tmp_path, mnistDir)
    before = sorted(os.listdir(folder))
    with pytest.raises(FileNotFoundError) as error:
        Dataset(data_dir=tmp_path, mirror=f"{server}/{mirror}/")
    assert reason in str(error.value)
    assert "train-labels-idx1-ubyte" in str(error.value) and "DEEPBASICS_DATA_DIR" in str(error.value)
    assert sorted(os.listdir(folder)) == before


def test_a_failed_first_download_leaves_no_empty_cache_folder(tmp_path, server):
    with pytest.raises(FileNotFoundError, match="404"):
        Dataset(data_dir=tmp_path / "cache" / "deepbasics", mirror=f"{server}/missing/")
    assert os.listdir(tmp_path) == []


def test_an_uncompressed_download_is_kept_uncompressed(tmp_path, mnistDir, server):
    folder = withAllBut(tmp_path, mnistDir)
    Dataset(data_dir=tmp_path, mirror=server + "/plain/", train_size=100, test_size=10)
    assert (folder / "train-labels-idx1-ubyte").is_file()


@pytest.mark.parametrize("where", ["_showProgress", "contentSha256"])   # while receiving, while checking
def test_ctrl_c_during_a_download_leaves_nothing_behind(tmp_path, mnistDir, server, monkeypatch, where):
    folder = withAllBut(tmp_path, mnistDir)
    before = sorted(os.listdir(folder))

    def interrupt(*arguments):
        raise KeyboardInterrupt

    monkeypatch.setattr(download, where, interrupt)
    with pytest.raises(KeyboardInterrupt):
        Dataset(data_dir=tmp_path, mirror=server + "/good/")
    assert sorted(os.listdir(folder)) == before


# ------------------------------------------------- downloadFile on its own
LABELS = "train-labels-idx1-ubyte"


@pytest.fixture
def umask():
    """Set the process's umask to 0o027 for the test, then back."""
    old = os.umask(0o027)
    yield 0o027
    os.umask(old)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_download_gets_the_permissions_open_gives_a_new_file(tmp_path, server, umask):
    path = download.downloadFile(f"{server}/good/{LABELS}.gz", tmp_path, LABELS, dataset.SHA256["mnist"][LABELS])
    assert path == str(tmp_path / f"{LABELS}.gz") and os.listdir(tmp_path) == [f"{LABELS}.gz"]
    assert mode(path) == 0o666 & ~umask == 0o640   # not mkstemp's 0o600
    open(tmp_path / "plain.txt", "w").close()
    assert mode(path) == mode(tmp_path / "plain.txt")


def test_a_download_that_replaces_a_file_keeps_its_permissions(tmp_path, server, umask):
    old = tmp_path / f"{LABELS}.gz"
    old.write_bytes(b"an older copy")
    os.chmod(old, 0o604)
    download.downloadFile(f"{server}/good/{LABELS}.gz", tmp_path, LABELS, dataset.SHA256["mnist"][LABELS])
    assert old.read_bytes() == _Handler.routes[f"/good/{LABELS}.gz"][0] and mode(old) == 0o604
    assert os.listdir(tmp_path) == [old.name]


@pytest.mark.parametrize("mirror, error, message", [
    ("corrupt", ValueError, "SHA-256 of the content is [0-9a-f]{64}, expected " + "65a50cbb"),
    ("cut", http.client.IncompleteRead, "IncompleteRead"),
    ("missing", urllib.error.HTTPError, "404"),
    ("truncated-gzip", ValueError, "not a readable gzip file"),
])
def test_a_failed_download_keeps_the_old_file_as_it_was(tmp_path, server, umask, mirror, error, message):
    old = tmp_path / f"{LABELS}.gz"
    old.write_bytes(b"an older copy")
    os.chmod(old, 0o604)
    with pytest.raises(error, match=message):
        download.downloadFile(f"{server}/{mirror}/{LABELS}.gz", tmp_path, LABELS, dataset.SHA256["mnist"][LABELS])
    assert os.listdir(tmp_path) == [old.name]
    assert old.read_bytes() == b"an older copy" and mode(old) == 0o604


def test_a_terminal_is_shown_a_progress_bar(tmp_path, server, monkeypatch):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    download.downloadFile(f"{server}/good/{LABELS}.gz", tmp_path, LABELS, dataset.SHA256["mnist"][LABELS])
    lines = sys.stderr.getvalue().split("\r")[1:]
    assert lines[-1] == f"{LABELS}: [{'=' * 30}] 0.0/0.0 MiB\n"   # 28,881 bytes, in one line redrawn
    assert all(line.startswith(f"{LABELS}: [") and line.endswith(" MiB") for line in lines[:-1])


def test_content_sha256_is_that_of_the_decompressed_content():
    raw = bytes(range(256)) * 10
    digest = hashlib.sha256(raw).hexdigest()
    assert download.contentSha256(raw) == (digest, False)
    assert download.contentSha256(gzip.compress(raw)) == (digest, True)
    assert download.contentSha256(gzip.compress(raw, compresslevel=1)) == (digest, True)   # other bytes, same content
