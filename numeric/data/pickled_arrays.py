"""Reading NumPy arrays out of an untrusted pickle (Nielsen's ``mnist.pkl.gz``) within a byte budget.

Returns the unpickled object with every array in it made by us, not by the pickle. Unpickling an
untrusted file runs whatever callables it names, and even "harmless" ones can amplify: the
``_codecs.encode`` that protocol-2 pickles use for raw bytes accepts any codec, and chaining the
'hex' codec doubles the data at each step (a 1.3 kB file reached 4.3 GB). So the pickle gets
stand-ins instead of NumPy's constructors:

* ``numpy.core.multiarray._reconstruct`` / ``numpy.ndarray`` build an ``_ArrayRecipe`` that only
  records the (shape, dtype, bytes) the pickle's BUILD gives it: the bytes must be exactly
  shape x itemsize, their total across all arrays is charged to a budget (``max_bytes``), and the
  array is a view of the pickle's own bytes (no copy, so nothing grows);
* ``numpy.dtype`` admits only plain numbers (bool, int, uint, float of at most 8 bytes): no object,
  void, string or structured dtypes;
* ``_codecs.encode`` admits only ``(str, 'latin1')``, one byte per character: it cannot amplify.

Every byte these stand-ins create (latin-1 bytes, an array's data decoded from a str) is charged to a
budget of ``max_bytes``, so that calling them again and again on one memoised string cannot
multiply memory either; and the stream may be read at most ``MAX_READS`` times (each pickle
operation reads at least once), which bounds the number of objects the unpickler itself builds.
Memory is then at most the stream, ``max_bytes`` and ``MAX_READS`` small objects. Any other global
is refused before anything runs. Errors are ``pickle.UnpicklingError``.
"""

from __future__ import annotations

import io
import math
import pickle

import numpy as np

__all__ = ["load_arrays", "ArrayRecipe", "MAX_READS"]

MAX_READS = 100_000  # Nielsen's pickle of six arrays needs about 400

_NUMBER_KINDS = "biuf"


class _NDArrayMarker:
    """What the pickle gets for ``numpy.ndarray``: a token that only ``_reconstruct`` accepts."""


class _Budget:
    """Bytes the stand-ins may still create; ``spend`` refuses before the allocation it pays for."""

    def __init__(self, max_bytes: int):
        self.total = self.left = int(max_bytes)

    def spend(self, nbytes: int, what: str) -> None:
        if nbytes > self.left:
            raise pickle.UnpicklingError(f"{what} would exceed the {self.total:,}-byte budget for the whole "
                                         "unpickling; refused before allocating")
        self.left -= nbytes


class _CountedReads:
    """The pickle stream, refusing to be read more than ``limit`` times."""

    def __init__(self, raw: bytes, limit: int):
        self._f, self._left, self._limit = io.BytesIO(raw), limit, limit

    def _count(self):
        self._left -= 1
        if self._left < 0:
            raise pickle.UnpicklingError(f"more than {self._limit:,} pickle operations: not a pickle of a few arrays")

    def read(self, n=-1):
        self._count()
        return self._f.read(n)

    def readline(self):
        self._count()
        return self._f.readline()

    def readinto(self, b):
        self._count()
        return self._f.readinto(b)


class ArrayRecipe:
    """An array as a pickle describes it; ``array`` is set when the pickle's BUILD supplies the state."""

    def __init__(self, budget: _Budget):
        self._budget, self.array = budget, None

    def __setstate__(self, state):
        if not (isinstance(state, tuple) and len(state) == 5):
            raise pickle.UnpicklingError("an array's state must be (version, shape, dtype, fortran, data)")
        _, shape, dtype, fortran, raw = state
        if not isinstance(dtype, np.dtype) or dtype.kind not in _NUMBER_KINDS or dtype.fields or dtype.subdtype:
            raise pickle.UnpicklingError(f"refused an array of dtype {dtype!r}: only plain numbers are allowed")
        if not (isinstance(shape, tuple) and all(type(n) is int and n >= 0 for n in shape)):
            raise pickle.UnpicklingError(f"an array's shape must be non-negative integers, got {shape!r}")
        nbytes = math.prod(shape) * dtype.itemsize
        if isinstance(raw, str):  # a Python 2 str read with encoding='latin1': one byte per character
            if len(raw) != nbytes:
                raise pickle.UnpicklingError(f"an array of shape {shape} and dtype {dtype} needs {nbytes:,} bytes "
                                             f"of data, the pickle holds {len(raw):,}")
            self._budget.spend(nbytes, f"an array of shape {shape} and dtype {dtype}")
            raw = raw.encode("latin-1")
        if not isinstance(raw, bytes) or len(raw) != nbytes:
            got = f"{len(raw):,} bytes" if isinstance(raw, bytes) else type(raw).__name__
            raise pickle.UnpicklingError(f"an array of shape {shape} and dtype {dtype} needs {nbytes:,} bytes of "
                                         f"data, the pickle holds {got}")
        self.array = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")


def _dtype(code, align=False, copy=False):
    if not isinstance(code, str) or np.dtype(code).kind not in _NUMBER_KINDS or np.dtype(code).itemsize > 8:
        raise pickle.UnpicklingError(f"refused dtype {code!r}: only bool, int, uint and float of at most 8 bytes")
    return np.dtype(code)


class _Unpickler(pickle.Unpickler):
    def __init__(self, stream, budget: _Budget):
        super().__init__(stream, encoding="latin1")
        self._budget = budget

    def _latin1(self, text, encoding="utf-8", errors="strict"):
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise pickle.UnpicklingError(f"refused _codecs.encode(..., {encoding!r}): only a str to latin-1 bytes, "
                                         "which cannot grow, is allowed")
        self._budget.spend(len(text), f"_codecs.encode of {len(text):,} characters")
        return text.encode("latin-1")

    def _reconstruct(self, cls, shape=None, code=None):
        if cls is not _NDArrayMarker:
            raise pickle.UnpicklingError("_reconstruct may only make NumPy arrays")
        return ArrayRecipe(self._budget)

    def find_class(self, module, name):
        allowed = {("numpy.core.multiarray", "_reconstruct"): self._reconstruct,
                   ("numpy._core.multiarray", "_reconstruct"): self._reconstruct,
                   ("numpy", "ndarray"): _NDArrayMarker, ("numpy", "dtype"): _dtype,
                   ("_codecs", "encode"): self._latin1}
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}: only NumPy arrays are allowed")
        return allowed[(module, name)]


def load_arrays(raw: bytes, *, max_bytes: int):
    """Returns the object pickled in ``raw`` with each array an ``ArrayRecipe`` (its ``.array`` the data).

    Bytes made while unpickling may not exceed ``max_bytes``; arrays of bytes objects are views of them.
    """
    return _Unpickler(_CountedReads(raw, MAX_READS), _Budget(max_bytes)).load()
