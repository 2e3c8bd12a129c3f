"""Data loaders: the embedded digits, and IDX / pickle / npz files, intact and damaged."""

import gzip
import hashlib
import pickle
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numeric.data import DataError, load_embedded, load_mnist, mnist_files


def test_embedded_digits_split_and_stratified_order():
    d = load_embedded()
    assert (len(d.training), len(d.validation), d.test) == (4000, 1000, None)
    assert d.training.x.shape == (4000, 784) and d.training.x.dtype == np.float64
    assert 0.0 <= d.training.x.min() and d.training.x.max() <= 1.0
    # the book's "first 1,000 training images" hold all ten digits, 100 each
    assert np.bincount(d.training.y[:1000], minlength=10).tolist() == [100] * 10
    assert np.bincount(d.validation.y, minlength=10).tolist() == [100] * 10
    assert d.training.onehot()[np.arange(5), d.training.y[:5]].tolist() == [1.0] * 5


def test_embedded_digits_failing_their_checksum_are_refused(tmp_path):
    from numeric.data import EMBEDDED_PATH

    with np.load(EMBEDDED_PATH) as f:
        images, labels = f["images"].copy(), f["labels"].copy()
    images[0, 0] ^= 1
    bad = tmp_path / "mnist5k.npz"
    np.savez_compressed(bad, images=images, labels=labels)
    with pytest.raises(DataError, match="failed its checksum"):
        load_embedded(bad)


def write_idx(path, arr, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    raw = header + arr.astype(np.uint8).tobytes()
    if path.name.endswith(".gz"):
        raw = gzip.compress(raw, mtime=0)
    path.write_bytes(raw)


def make_idx_folder(folder, n_train=60, n_test=12, gz=True):
    rng = np.random.default_rng(0)
    folder.mkdir(exist_ok=True)
    suffix = ".gz" if gz else ""
    data = {"train": (rng.integers(0, 256, (n_train, 28, 28)), rng.integers(0, 10, n_train)),
            "t10k": (rng.integers(0, 256, (n_test, 28, 28)), rng.integers(0, 10, n_test))}
    for part, (img, lab) in data.items():
        write_idx(folder / f"{part}-images-idx3-ubyte{suffix}", img, 2051)
        write_idx(folder / f"{part}-labels-idx1-ubyte{suffix}", lab, 2049)
    return data


@pytest.mark.parametrize("gz", [True, False])
def test_idx_round_trip(tmp_path, gz):
    data = make_idx_folder(tmp_path / "idx", gz=gz)
    d = load_mnist(tmp_path / "idx", check_digest=False)
    assert (len(d.training), len(d.validation), len(d.test)) == (50, 10, 12)
    np.testing.assert_array_equal(d.training.pixels, data["train"][0][:50].reshape(50, 784))
    np.testing.assert_array_equal(d.validation.y, data["train"][1][50:])
    np.testing.assert_array_equal(d.test.y, data["t10k"][1])


def test_idx_with_non_canonical_digest_is_refused(tmp_path):
    make_idx_folder(tmp_path / "idx")
    with pytest.raises(DataError, match="does not match MNIST's"):
        load_mnist(tmp_path / "idx")


def test_swapped_idx_files_are_refused(tmp_path):
    folder = tmp_path / "idx"
    make_idx_folder(folder)
    a, b = folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz"
    tmp = folder / "x"
    a.rename(tmp), b.rename(a), tmp.rename(b)
    with pytest.raises(DataError, match="files swapped or misnamed"):
        load_mnist(folder, check_digest=False)


def test_missing_idx_file_is_named(tmp_path):
    make_idx_folder(tmp_path / "idx")
    (tmp_path / "idx" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="missing t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path / "idx", check_digest=False)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_damaged_idx_files_are_refused_or_detected(tmp_path_factory, data):
    """Truncation or any byte flip gives a DataError (or, where the format cannot tell, the MD5 does)."""
    folder = tmp_path_factory.mktemp("idx")
    make_idx_folder(folder)
    name = data.draw(st.sampled_from(sorted(p.name for p in folder.iterdir())))
    path = folder / name
    digests = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in folder.iterdir()}  # intact files
    raw = bytearray(path.read_bytes())
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    else:
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] ^= data.draw(st.integers(1, 255))
    path.write_bytes(bytes(raw))
    try:
        load_mnist(folder, check_digest=False)
    except DataError:
        pass  # the format itself caught it
    # with digests on, every damage is caught before anything is returned
    old = dict(mnist_files.CANONICAL_MD5)
    try:
        mnist_files.CANONICAL_MD5.clear()
        mnist_files.CANONICAL_MD5.update(digests)
        with pytest.raises(DataError):
            mnist_files.read_idx_folder(folder, check_digest=True)
    finally:
        mnist_files.CANONICAL_MD5.clear()
        mnist_files.CANONICAL_MD5.update(old)


def nielsen_pickle(path, n=(12, 6, 6), protocol=2):
    rng = np.random.default_rng(1)
    parts = tuple((rng.random((k, 784)).astype(np.float32), rng.integers(0, 10, k)) for k in n)
    with gzip.open(path, "wb") as fh:
        pickle.dump(parts, fh, protocol=protocol)
    return parts


@pytest.mark.parametrize("protocol", [2, 4])
def test_pickle_round_trip(tmp_path, protocol):
    parts = nielsen_pickle(tmp_path / "mnist.pkl.gz", protocol=protocol)
    d = load_mnist(tmp_path / "mnist.pkl.gz", check_digest=False)
    np.testing.assert_array_equal(d.training.pixels, parts[0][0])
    np.testing.assert_array_equal(d.test.y, parts[2][1])
    assert d.training.x.dtype == np.float64


class Evil:
    def __reduce__(self):
        import os

        return (os.system, ("touch PWNED",))


def test_malicious_pickle_is_refused_without_running(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as fh:
        pickle.dump(((np.zeros((2, 784), np.float32), Evil()),) * 3, fh, protocol=2)
    with pytest.raises(DataError, match="refused to load posix.system|refused to load os.system"):
        load_mnist(path, check_digest=False)
    assert not (tmp_path / "PWNED").exists()


def test_pickle_of_the_wrong_shape_is_refused(tmp_path):
    nielsen_pickle(tmp_path / "mnist.pkl.gz")
    with pytest.raises(DataError, match=r"expected \(50000, 784\)"):
        load_mnist(tmp_path / "mnist.pkl.gz")


def test_truncated_pickle_is_refused(tmp_path):
    path = tmp_path / "mnist.pkl.gz"
    nielsen_pickle(path)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(DataError):
        load_mnist(path, check_digest=False)


def test_npz_round_trip_and_defects(tmp_path):
    rng = np.random.default_rng(2)
    arrays = dict(x_train=rng.integers(0, 256, (60, 28, 28), dtype=np.uint8), y_train=rng.integers(0, 10, 60),
                  x_test=rng.integers(0, 256, (12, 28, 28), dtype=np.uint8), y_test=rng.integers(0, 10, 12))
    np.savez(tmp_path / "mnist.npz", **arrays)
    d = load_mnist(tmp_path / "mnist.npz", check_digest=False)
    assert (len(d.training), len(d.validation), len(d.test)) == (50, 10, 12)
    with pytest.raises(DataError, match="60 train images, MNIST has 60000"):
        load_mnist(tmp_path / "mnist.npz")
    np.savez(tmp_path / "partial.npz", x_train=arrays["x_train"])
    with pytest.raises(DataError, match="missing arrays"):
        load_mnist(tmp_path / "partial.npz", check_digest=False)
    np.savez(tmp_path / "objects.npz", **(arrays | {"y_test": np.array([object()] * 12)}))
    # refused from its header, before reading
    with pytest.raises(DataError, match="dtype object; expected integer labels"):
        load_mnist(tmp_path / "objects.npz", check_digest=False)
    shutil.copy(tmp_path / "mnist.npz", tmp_path / "cut.npz")
    (tmp_path / "cut.npz").write_bytes((tmp_path / "mnist.npz").read_bytes()[:500])
    with pytest.raises(DataError):
        load_mnist(tmp_path / "cut.npz", check_digest=False)


def test_unknown_path_kinds_are_refused(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_mnist(tmp_path / "nope")
    (tmp_path / "mnist.csv").write_text("1,2\n")
    with pytest.raises(DataError, match="expected a folder of IDX files"):
        load_mnist(tmp_path / "mnist.csv")
