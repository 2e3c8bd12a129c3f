"""proofs.statement.load_statement: a record's sympy field is data, never code.

The loader parses the text with ``ast`` and builds it from an allow-list (calls of SymPy's and the suite's
constructors, singleton names, constants, keywords, lists). Every escape a builtins-free ``eval`` lets through
is refused with a ValueError, before anything runs; the suite's own statements still load back exactly.
"""

import json
import time
from pathlib import Path

import pytest
import sympy as sp

from proofs.claim import load_statement
from proofs.statement import MAX_DEPTH, MAX_INT_DIGITS, MAX_TEXT

# Every claim's sympy field as a default run writes it (scripts/update_statements.py; the slow full run checks
# the fields it writes itself the same way).
STATEMENTS = json.loads((Path(__file__).parent / "data" / "statements.json").read_text(encoding="utf-8"))

# Each would run code, reach every class of the process, or allocate without bound under eval(text, {}, names).
PAYLOADS = {
    "subclasses walk": "().__class__.__base__.__subclasses__()",
    "attribute of a constructor": "Symbol.__init__.__globals__",
    "attribute of a built object": "Symbol('x').__class__.__mro__",
    "import": "__import__('os').system('echo escaped')",
    "builtin call": "open('/etc/passwd')",
    "eval by name": "eval('1')",
    "getattr": "getattr(Symbol, '__init__')",
    "lambda": "Tuple(lambda: 0)",
    "lambda called": "(lambda: __import__('os'))()",
    "list comprehension": "Tuple([c for c in ().__class__.__base__.__subclasses__()])",
    "generator": "Tuple(*(c for c in ()))",
    "subscript": "Tuple(Integer(1))[0]",
    "starred": "Eq(*[Integer(1), Integer(2)])",
    "double-star mapping": "Symbol('x', **{'real': True})",
    "private keyword": "Symbol('x', _assumptions=None)",
    "operator": "Integer(1) + Integer(2)",
    "huge power": "Integer(10**10**9)",
    "huge power as a float": "Float(10.0**10**9)",
    "conditional": "Integer(1) if True else Integer(0)",
    "walrus": "Tuple((x := Integer(1)))",
    "f-string": "Symbol(f'{1}')",
    "a string SymPy would parse (sympify runs it)": "sigma(\"__import__('os').system('echo escaped')\")",
    "a string to Add": "Add(\"__import__('os')\", Integer(1))",
    "a non-decimal Float string": "Float(\"__import__('os')\")",
    "a bare class as a value": "Tuple(Symbol)",
    "an unknown name": "Tuple(os)",
    "a callable not on the list": "sympify('1 + 1')",
    "calling a built object": "Symbol('x')(Integer(1))",
    "calling a call that is not Function(...)": "Symbol('f')(Symbol('x'))('y')",
    "a dict": "Tuple({1: 2})",
    "a set": "Tuple({1, 2})",
    "bytes": "Symbol(b'x')",
    "a float literal": "Tuple(1.5)",
    "a Float of absurd precision": "Float('1.0', precision=1000000000)",
    "a Float precision that is not a number": "Float('1.0', precision=[Integer(1)])",
    "a hexadecimal integer past the bound": "Integer(0x" + "f" * (MAX_INT_DIGITS) + ")",
    "a decimal integer past Python's own limit": "Integer(" + "9" * 5000 + ")",
    "nesting past the bound": "Tuple(" * (MAX_DEPTH + 5) + ")" * (MAX_DEPTH + 5),
    "nesting past Python's parser": "Tuple(" * 2000 + ")" * 2000,
    "lists nested past the bound": "ImmutableDenseMatrix(" + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + ")",
    "text past the bound": "Tuple(" + "Integer(1), " * (MAX_TEXT // 12 + 1) + ")",
    "not an expression": "import os",
    "two statements": "Integer(1); Integer(2)",
}


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_escape_payloads_are_refused_before_anything_runs(name, capfd):
    """Each payload raises ValueError quickly, prints nothing (no shell ran) and leaves no object behind."""
    start = time.perf_counter()
    with pytest.raises(ValueError):
        load_statement(PAYLOADS[name])
    assert time.perf_counter() - start < 5, "refusing a payload must not compute it"
    assert "escaped" not in capfd.readouterr().out


def test_a_non_string_is_a_type_error():
    with pytest.raises(TypeError, match="text must be a str"):
        load_statement(b"Integer(1)")


def test_refusals_name_what_was_found():
    with pytest.raises(ValueError, match="Attribute"):
        load_statement("().__class__")
    with pytest.raises(ValueError, match="'open' is not an allowed constructor"):
        load_statement("open('x')")
    with pytest.raises(ValueError, match="deeper than"):
        load_statement(PAYLOADS["nesting past the bound"])


@pytest.mark.parametrize("expr", [
    sp.Eq(sp.Function("f")(sp.Symbol("x", real=True)), -sp.oo, evaluate=False),
    sp.Interval(4, sp.oo),
    sp.Tuple(sp.Rational(-1, 3), sp.Integer(-7), sp.Float("0.5"), sp.pi, sp.true, sp.EmptySet),
    sp.ImmutableMatrix([[1, sp.Symbol("x")], [sp.Symbol("y"), 2]]),
    sp.Eq(sp.Symbol("M_{scaled sigmoid sigma(kz)}"), sp.Symbol("k") / 4, evaluate=False),
    sp.Integer(10) ** (MAX_INT_DIGITS - 1),
])
def test_allowed_forms_load_back_exactly(expr):
    text = sp.srepr(expr, order="none")
    assert sp.srepr(load_statement(text), order="none") == text


def test_the_suites_names_load_as_the_suites_objects():
    from theory.notation import C_prime, PartialC, sigma, sigma_prime

    z = sp.Symbol("z_1", real=True)
    expr = sp.Eq(PartialC(z), sp.Mul(sigma_prime(z), sigma(z), C_prime(z), evaluate=False), evaluate=False)
    loaded = load_statement(sp.srepr(expr, order="none"))
    assert loaded == expr and loaded.rhs.args[0].func is sigma_prime


@pytest.mark.parametrize("claim_id", sorted(STATEMENTS))
def test_every_claims_statement_loads_back_exactly(claim_id):
    """srepr(load_statement(text)) == text for each claim's field, Sum and Integral bodies included."""
    text = STATEMENTS[claim_id]
    assert sp.srepr(load_statement(text), order="none") == text


def test_the_corpus_holds_the_statements_of_every_group():
    groups = {"sigmoid-derivative", "bp1-bp4-matrix-form", "eq123-interval-width", "weights-below-one",
              "meanfield-chi1-curves", "remedies-theory"}
    assert groups <= set(STATEMENTS) and len(STATEMENTS) >= 18


# Issue 32, defect 3: each under 50 characters, each took from 30 s to hours or gigabytes before anything bounded
# what a constructor computes. Each must now be refused (ValueError) within 2 s, before it is computed.
COSTLY = {
    "a Float's exponent of a million": "Float('1e1000000')",
    "a Float's exponent of a hundred million": "Float('1e100000000')",
    "a Float's negative exponent": "Float('1e-1000000')",
    "a Float's mantissa of 5,000 digits": "Float('" + "1" * 5000 + "')",
    "a Float given as a number": "Float(Integer(1))",
    "a Float's decimal places as dps=": "Float('1.5', dps=1000000000)",
    "a 20000 x 20000 matrix of a function": "ImmutableDenseMatrix(Integer(20000), Integer(20000), Function('f'))",
    "evaluate=True on sin": "sin(Float('1e1000000'), evaluate=True)",
    "evaluate=True on Pow": "Pow(Integer(7), Integer(1000000000000), evaluate=True)",
    "evaluate=False, even": "Pow(Integer(7), Integer(2), evaluate=False)",
    "a derivative of order 10^7": "Derivative(Function('f')(Symbol('x')), Tuple(Symbol('x'), Integer(10000000)))",
    "a derivative of order 10^7, positional": "Derivative(Function('f')(Symbol('x')), Symbol('x'), Integer(10000000))",
    "a derivative of order 10^7, a plain int": "Derivative(Function('f')(Symbol('x')), Symbol('x'), 10000000)",
    "a MatrixSymbol of 10^12 rows": "MatrixSymbol(Str('W'), Integer(1000000000000), Integer(2))",
}


@pytest.mark.parametrize("name", list(COSTLY))
def test_costly_payloads_are_refused_within_two_seconds(name):
    start = time.perf_counter()
    with pytest.raises(ValueError):
        load_statement(COSTLY[name])
    assert time.perf_counter() - start < 2


def test_building_stops_at_the_time_limit(monkeypatch):
    """The last guard: a constructor that loops in Python past MAX_SECONDS is stopped, whatever the bounds miss."""
    import proofs.statement as statement

    def slow(*args):
        while True:
            sp.Integer(1)

    monkeypatch.setattr(statement, "MAX_SECONDS", 0.2)
    real = statement._tables
    monkeypatch.setattr(statement, "_tables", lambda: (real()[0] | {"Abs": slow}, real()[1]))
    start = time.perf_counter()
    with pytest.raises(ValueError, match="longer than 0.2 s"):
        load_statement("Abs(Integer(1))")
    assert time.perf_counter() - start < 2


def test_a_constructor_refusing_its_arguments_is_a_value_error():
    """The documentation says ValueError for text outside what loads; Idx's own TypeError was let through."""
    with pytest.raises(ValueError, match="Idx cannot be built"):
        load_statement("Idx(Symbol('i'), [Integer(1), Integer(2)])")
