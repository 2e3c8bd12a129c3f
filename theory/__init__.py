"""Exact (SymPy) derivations of Nielsen's chapter 5: symbols in, expressions out.

No NumPy, no I/O, no printing. Submodules: ``notation`` (sigma, sigma', C and their
printers), ``chain`` (the one-neuron-per-layer network, eq. 114-122), ``induction``,
``cascade``, ``consequences``, ``sigmoid_facts``; beyond the chapter ``recurrent``,
``recurrent_matrix`` and ``lstm`` (the chain unrolled in time, with weights shared).
"""

from .chain import (
    ChainNetwork,
    chain_network,
    composed_cost,
    gradient_direct,
    gradient_formula,
    gradient_statement,
    pre_activations,
)
from .chain_implicit import gradients_implicit
from .notation import (
    C,
    C_prime,
    PartialC,
    Step,
    cross_entropy_cost,
    is_identity,
    quadratic_cost,
    sigma,
    sigma_prime,
    sigmoid,
    sigmoid_prime,
    specialise_sigmoid,
    to_latex,
)

__all__ = [
    "C", "C_prime", "PartialC", "Step", "cross_entropy_cost", "is_identity", "quadratic_cost",
    "sigma", "sigma_prime", "sigmoid", "sigmoid_prime", "specialise_sigmoid", "to_latex",
    "ChainNetwork", "chain_network", "composed_cost", "gradient_direct", "gradient_formula",
    "gradient_statement", "gradients_implicit", "pre_activations",
]
