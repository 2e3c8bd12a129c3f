"""One activation record per activation (numeric.activations.ACTIVATIONS): its NumPy forms (from z, into a buffer,
phi' through the output), its mpmath forms and sup |phi'| agree with theory.activations' SymPy twin and with each
other; every module that needs an activation reads the record."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from numeric import activations as A
from numeric.experiments import meanfield
from numeric.networks import rnn
from theory.activations import activations, sup_derivative, z

POINTS = np.array([-30.0, -4.0, -1.3, -0.2, 0.3, 0.9, 2.5, 7.0, 30.0])
SYMPY = activations()
NAMES = sorted(A.ACTIVATIONS)


def test_one_record_one_spelling_and_every_reader_reads_it():
    assert all(rec.name == name for name, rec in A.ACTIVATIONS.items())
    assert meanfield.ACTIVATIONS is A.ACTIVATIONS and rnn.RECORDS is A.ACTIVATIONS
    assert set(rnn.RECURRENT) <= set(A.ACTIVATIONS)
    for rec in A.ACTIVATIONS.values():  # a twin where one exists, and the reason where not
        assert rec.sympy in SYMPY if rec.sympy else rec.no_sympy
        assert rec.init in A.INITS and rec.initial_variance(100, 100) > 0
    with pytest.raises(ValueError, match="activation must be one of"):
        A.activation("swish")


@pytest.mark.parametrize("name", NAMES)
def test_numpy_and_mpmath_forms_are_the_sympy_twin(name):
    rec = A.ACTIVATIONS[name]
    phi = sp.lambdify(z, SYMPY[rec.sympy], "mpmath")
    dphi = sp.lambdify(z, sp.diff(SYMPY[rec.sympy], z).rewrite(sp.Piecewise), "mpmath")
    for x in POINTS:
        with mpmath.workdps(60):  # 1 - tanh(z)^2 cancels in 15 digits at |z| = 30
            want, dwant = float(phi(mpmath.mpf(x))), float(dphi(mpmath.mpf(x)))
        assert rec.phi(np.array([x]))[0] == pytest.approx(want, rel=1e-14, abs=1e-300)
        assert rec.prime(np.array([x]))[0] == pytest.approx(dwant, rel=1e-12, abs=1e-300)
        assert float(rec.mp[0](mpmath.mpf(x))) == pytest.approx(want, rel=1e-14, abs=1e-300)
        assert float(rec.mp[1](mpmath.mpf(x))) == pytest.approx(dwant, rel=1e-14, abs=1e-300)
    assert rec.sup == float(sup_derivative(SYMPY[rec.sympy])["sup"])
    grid = np.linspace(-20, 20, 4001)
    assert rec.prime(grid).max() <= rec.sup


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_training_forms_are_phi_and_phi_prime(name, dtype):
    """``apply_`` (phi into a buffer; it may overwrite z) and ``from_output`` (phi' through a = phi(z)) give the
    record's phi and phi' to rounding wherever phi' is not below the output's resolution."""
    rec = A.ACTIVATIONS[name]
    x = np.linspace(-8, 8, 161).astype(dtype)
    a = np.empty_like(x)
    rec.apply_(x.copy(), a)
    prime = rec.from_output(a, np.empty_like(x))
    tol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(a, rec.phi(x.astype(float)), rtol=tol, atol=tol)
    np.testing.assert_allclose(prime, rec.prime(x.astype(float)), rtol=0, atol=20 * tol)
    assert a.dtype == prime.dtype == dtype


def test_a_planted_wrong_derivative_fails_the_comparison():
    """The comparison above can fail: tanh' written as 1 - a (not 1 - a^2) is caught."""
    rec = A.ACTIVATIONS["tanh"]
    x = np.linspace(-3, 3, 61)
    assert not np.allclose(1 - np.tanh(x), rec.prime(x), atol=1e-6)
