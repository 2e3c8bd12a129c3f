"""No input that costs more than its size (issue 32, defects 7, 8, 13): the zip directory of an npz, the four files of
an IDX folder together and each against its own header, and a saved network's string, each bounded before it is
read; every refusal is one line naming the file, within 2 s, in a fresh process whose memory is measured."""

import gzip
import io
import struct
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from numeric.data import DataError, mnist_files, reading
from proofs.run.cli import main
from test_data import make_idx_folder, write_idx
from test_limits import npz_member, read_capped


@pytest.fixture(scope="module")
def peak_mb():
    """The most resident memory a reader of a hostile file may reach: at rest, plus 64 MB."""
    return read_capped("None")[1] + 64


def mnist_npz(path: Path, **members) -> Path:
    """An npz of MNIST's four arrays (tiny), with ``members`` (name: .npy bytes) in place of some."""
    small = {k: npz_member(np.zeros(3, np.uint8)) for k in ("x_train", "y_train", "x_test", "y_test")}
    with zipfile.ZipFile(path, "w") as z:
        for name, data in (small | members).items():
            z.writestr(f"{name}.npy", data)
    return path


# -- 7. npz: the zip's directory, and messages naming the file ------------------------------------------------------
def test_an_npz_whose_directory_holds_half_a_million_entries_is_refused_from_its_end_record(tmp_path, peak_mb):
    """The issue's 171 MB npz with 3 million entries took 1.43 GB and 36 s; here 500,000 entries in 28 MB."""
    path = mnist_npz(tmp_path / "mnist.npz")
    raw = path.read_bytes()
    start_cd, end_cd = raw.index(b"PK\x01\x02"), raw.index(b"PK\x05\x06")
    directory = raw[start_cd:end_cd] * 125_000  # 4 entries x 125,000
    end = bytearray(raw[end_cd:])
    struct.pack_into("<HHI", end, 8, 0xFFFF, 0xFFFF, len(directory))
    path.write_bytes(raw[:start_cd] + directory + bytes(end))
    start = time.perf_counter()
    message, peak = read_capped(f"load_mnist({str(path)!r})")
    assert time.perf_counter() - start < 10  # a fresh process: imports included
    assert "its zip directory declares" in message and "refused before reading it" in message, message
    assert peak < peak_mb, peak


def test_a_zip64_record_that_contradicts_the_plain_end_record_is_the_one_counted(tmp_path):
    """A referee's npz: the plain end record says 4 members, a Zip64 record before it 3 million (zipfile reads the
    Zip64 record whenever its locator is there). Counting only the plain record let 3 million entries through to
    zipfile: 37 s and 1.5 GB before the refusal."""
    from numeric.data.files import npz_headers, zip_directory

    path = mnist_npz(tmp_path / "mnist.npz")
    raw = path.read_bytes()
    start_cd, end_cd = raw.index(b"PK\x01\x02"), raw.index(b"PK\x05\x06")
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, 3_000_000, 3_000_000, 174_000_000, start_cd)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, end_cd, 1)
    path.write_bytes(raw[:end_cd] + record + locator + raw[end_cd:])
    with open(path, "rb") as fh:
        assert zip_directory(fh) == (3_000_000, 174_000_000)
    start = time.perf_counter()
    with pytest.raises(ValueError, match="its zip directory declares"):
        npz_headers(path)
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize("member,words", [
    (b"", "ends before its .npy header does"),  # numpy: "EOF: reading magic string, expected 8 bytes got 0"
    (npz_member(np.zeros(2)).replace(b"'<f8'", b"x    "), "its .npy header is malformed"),  # <ast.Name object ...>
])
def test_a_damaged_npz_header_is_one_line_naming_the_file(tmp_path, capsys, member, words):
    path = mnist_npz(tmp_path / "mnist.npz", x_train=member)
    assert main(["--out", str(tmp_path / "out"), "--only", "sigmoid-derivative", "-q", "--mnist", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and "x_train.npy" in err[0] and words in err[0], err
    assert "<ast." not in err[0] and "EOF:" not in err[0]


def test_npz_members_are_capped_together(tmp_path):
    from numeric.data.files import npz_headers

    path = mnist_npz(tmp_path / "mnist.npz", x_train=npz_member(np.zeros(100_000, np.uint8)),
                     x_test=npz_member(np.zeros(100_000, np.uint8)))
    npz_headers(path, max_bytes=120_000, max_total=300_000)
    with pytest.raises(ValueError, match="decompress to 200,.* bytes together, more than the 150,000 allowed"):
        npz_headers(path, max_bytes=120_000, max_total=150_000)


# -- 8. IDX folders: the four files together, and each by its header -------------------------------------------------
IDX = {"train-images-idx3-ubyte": 3, "train-labels-idx1-ubyte": 1, "t10k-images-idx3-ubyte": 3,
       "t10k-labels-idx1-ubyte": 1}


def test_four_sparse_idx_files_are_refused_from_their_sizes_together(tmp_path, peak_mb):
    """Each under the 300 MB a single file may take, 1.16 GB together, 16 KB on disk: 1.57 GB peak before."""
    folder = tmp_path / "idx"
    folder.mkdir()
    for name in IDX:
        with open(folder / name, "wb") as fh:
            fh.truncate(290_000_000)
    start = time.perf_counter()
    message, peak = read_capped(f"load_mnist({str(folder)!r})")
    assert time.perf_counter() - start < 10
    assert "its four IDX files take 1,160,000,000 bytes on disk, more than the 54,950,048" in message, message
    assert peak < peak_mb, peak


def gzip_of_idx(path: Path, header: bytes, zeros: int) -> Path:
    """A gzip stream (under whatever name ``path`` has) of ``header`` then ``zeros`` zero bytes, compressed 1 MB at
    a time (100 MB of zeros take about 100 kB)."""
    z, out = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS), [b""]
    out.append(z.compress(header))
    chunk = bytes(1 << 20)
    for _ in range(zeros >> 20):
        out.append(z.compress(chunk))
    out.append(z.flush())
    path.write_bytes(b"".join(out))
    return path


def test_gzip_content_under_a_plain_name_is_read_no_further_than_its_header_says(tmp_path, peak_mb):
    """The issue's 874 kB of gzip content under names without .gz reached 1.29 GB; here 100 MB behind a header of
    10,000 images (7.8 MB): refused as soon as the content passes what the header declares."""
    folder = tmp_path / "idx"
    make_idx_folder(folder, gz=False)
    header = (2051).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in (10000, 28, 28))
    gzip_of_idx(folder / "train-images-idx3-ubyte", header, 100 << 20)
    message, peak = read_capped(f"load_mnist({str(folder)!r}, check_digest=False)")
    assert "its content is longer than its header says (7,840,000 bytes of data)" in message, message
    assert peak < peak_mb, peak


def test_a_labels_file_is_never_read_past_60008_bytes(tmp_path, peak_mb):
    labels = gzip_of_idx(tmp_path / "train-labels-idx1-ubyte.gz",
                         (2049).to_bytes(4, "big") + (60000).to_bytes(4, "big"), 100 << 20)
    message, peak = read_capped(f"from numeric.data import reading; reading.read_idx_file({str(labels)!r}, "
                                "expect_dims=1, max_items=60000)")
    assert "longer than its header says (60,000 bytes of data)" in message and peak < peak_mb, (message, peak)
    claims_more = tmp_path / "many-labels"
    write_idx(claims_more, np.zeros(70000, np.uint8), 2049)
    with pytest.raises(DataError, match="header says 70,000 labels, more than MNIST's 60,000"):
        reading.read_idx_file(claims_more, expect_dims=1, max_items=60000)


def test_each_idx_header_is_checked_against_mnists_part(tmp_path):
    """A test split of 12,000 images is not MNIST's (10,000), whatever its labels say."""
    folder = tmp_path / "idx"
    make_idx_folder(folder, n_train=60, n_test=12000, gz=True)
    with pytest.raises(DataError, match="t10k-images.*header says 12,000 images, more than MNIST's 10,000"):
        mnist_files.read_idx_folder(folder, check_digest=False)


def test_idx_files_still_load_gzipped_or_not(tmp_path):
    for gz in (True, False):
        folder = tmp_path / f"idx{gz}"
        data = make_idx_folder(folder, gz=gz)
        (train_x, train_y), (test_x, test_y) = mnist_files.read_idx_folder(folder, check_digest=False)
        assert np.array_equal(train_x, data["train"][0]) and np.array_equal(test_y, data["t10k"][1])
        assert train_x.shape == (60, 28, 28) and train_y.dtype == np.uint8


# -- 13. Network.load: the cost's string ------------------------------------------------------------------------------
def test_a_network_whose_cost_is_a_huge_string_is_refused_from_its_header(tmp_path, peak_mb):
    """The issue's 390 kB file with a 400 MB cost peaked at 1 GB and raised a message of 100,000,079 characters."""
    path = tmp_path / "net.npz"
    buf = io.BytesIO()
    np.savez_compressed(buf, sizes=np.array([2, 2]), cost=np.array("x" * 20_000_000), w0=np.zeros((2, 2)),
                        b0=np.zeros(2))
    path.write_bytes(buf.getvalue())
    assert path.stat().st_size < 1_000_000
    start = time.perf_counter()
    message, peak = read_capped(f"Network.load({str(path)!r})")
    assert time.perf_counter() - start < 10
    assert "'cost' must be one string of at most 64 characters" in message and len(message) < 500, message[:300]
    assert peak < peak_mb, peak


def test_messages_about_a_saved_network_quote_at_most_200_characters(tmp_path):
    from numeric.networks.network import Network

    path = tmp_path / "net.npz"
    np.savez(path, sizes=np.array([2, 2]), cost=np.array("y" * 60), w0=np.zeros((2, 2)), b0=np.zeros(2))
    with pytest.raises(ValueError, match="unknown cost 'y{58}") as exc:
        Network.load(path)
    assert len(str(exc.value)) < 200 + len(str(path)) + 100
    np.savez(path, sizes=np.arange(1, 900), cost=np.array("cross-entropy"), w0=np.zeros((2, 2)))
    with pytest.raises(ValueError) as exc:
        Network.load(path)
    assert len(str(exc.value)) < 200 + len(str(path)) + 200, len(str(exc.value))


def test_gzip_bytes_stay_readable_as_before(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress((2049).to_bytes(4, "big") + (3).to_bytes(4, "big") + bytes([1, 2, 3])))
    assert reading.read_idx_file(path, expect_dims=1, max_items=60000)[0].tolist() == [1, 2, 3]


def test_every_line_the_command_writes_is_one_line_of_bounded_length(capsys):
    """A hostile header quoted in an error ran to 9,100 characters; a member name holding line breaks to 4 lines."""
    from proofs.run.process import MAX_LINE, say

    say("error: member 'x\nTraceback (most recent call last):\n  fake' " + "(1, " * 3000)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) <= MAX_LINE + 1 and err.rstrip().endswith("characters, cut)")
