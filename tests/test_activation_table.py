"""One activation table: numeric.activations holds each activation once (NumPy, phi' through the output, mpmath,
sup |phi'|), one spelling per name; its forms agree with theory.activations' SymPy ones and with each other."""

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


def test_one_table_one_spelling():
    assert set(A.ACTIVATIONS) == set(A.MP) == set(A.SUP_DERIVATIVE)
    assert set(A.FROM_OUTPUT) <= set(A.ACTIVATIONS)
    assert meanfield.ACTIVATIONS is A.MP and rnn.ACTIVATIONS is A.FROM_OUTPUT
    assert set(A.ACTIVATIONS) & set(SYMPY) == {"sigmoid", "tanh", "relu"}  # theory's spelling is the same


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_numpy_and_mpmath_forms_are_the_sympy_ones(name):
    phi = sp.lambdify(z, SYMPY[name], "mpmath")
    dphi = sp.lambdify(z, sp.diff(SYMPY[name], z).rewrite(sp.Piecewise), "mpmath")
    for x in POINTS:
        with mpmath.workdps(60):  # 1 - tanh(z)^2 cancels in 15 digits at |z| = 30
            want, dwant = float(phi(mpmath.mpf(x))), float(dphi(mpmath.mpf(x)))
        assert A.ACTIVATIONS[name][0](np.array([x]))[0] == pytest.approx(want, rel=1e-14, abs=1e-300)
        assert A.ACTIVATIONS[name][1](np.array([x]))[0] == pytest.approx(dwant, rel=1e-12, abs=1e-300)
        assert float(A.MP[name][0](mpmath.mpf(x))) == pytest.approx(want, rel=1e-14, abs=1e-300)
        assert float(A.MP[name][1](mpmath.mpf(x))) == pytest.approx(dwant, rel=1e-14, abs=1e-300)
    assert A.SUP_DERIVATIVE[name] == float(sup_derivative(SYMPY[name])["sup"])


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_the_derivative_through_the_output_is_phi_prime(name):
    phi, through = A.FROM_OUTPUT[name]
    x = POINTS[np.abs(POINTS) < 10]
    np.testing.assert_allclose(phi(x), A.ACTIVATIONS[name][0](x), rtol=1e-14)
    np.testing.assert_allclose(through(phi(x)), A.ACTIVATIONS[name][1](x), rtol=1e-9)


@pytest.mark.parametrize("name", ["leaky-relu", "elu"])
def test_the_piecewise_activations_agree_across_forms(name):
    """leaky ReLU (slope 0.01 below 0) and ELU (e^z - 1 below 0): NumPy against mpmath, and sup |phi'| = 1 attained
    above 0 and never exceeded."""
    slope = {"leaky-relu": lambda x: 0.01 * x, "elu": np.expm1}[name]
    for x in POINTS:
        want = x if x > 0 else slope(x)
        assert A.ACTIVATIONS[name][0](np.array([x]))[0] == pytest.approx(want, rel=1e-14, abs=1e-300)
        assert float(A.MP[name][0](mpmath.mpf(x))) == pytest.approx(want, rel=1e-14, abs=1e-300)
        assert float(A.MP[name][1](mpmath.mpf(x))) == pytest.approx(A.ACTIVATIONS[name][1](np.array([x]))[0],
                                                                    rel=1e-14, abs=1e-300)
    grid = np.linspace(-20, 20, 4001)
    assert A.ACTIVATIONS[name][1](grid).max() == A.SUP_DERIVATIVE[name] == 1.0
