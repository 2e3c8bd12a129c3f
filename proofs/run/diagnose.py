"""``python -m proofs diagnose``: will this network's gradients vanish or explode, and how deep can it go?

Prints one screen (proofs.diagnosis_screen) of the record ``proofs.diagnosis.diagnose`` returns, or the record as JSON
(``--json``); ``--out DIR`` also writes the record, a figure and a LaTeX fragment under the output folder's rules
(proofs.export.outdir: nothing of the user's overwritten). Exit 0, or 2 with one line naming the cause for bad input
(an option, a file, the output folder); 130 on Ctrl-C. Progress goes to standard error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from .process import OneLineParser

__all__ = ["main", "run", "build_parser", "parse_sizes"]

DESCRIPTION = """\
The chapter's question asked of your network: will its gradients vanish or explode at initialisation,
and how deep can it go? For a fully connected network, described by options or read from a file, it
prints mean field's prediction (Poole et al. 2016; Schoenholz et al. 2017) layer by layer: the
variance q^l (and its fixed point q*), chi^l and the factor sqrt(chi^l) by which each layer scales the
per-example RMS norm of delta^l, the phase (ordered, chaotic, or at the edge within |chi_1 - 1| <= 0.01),
the depth scales xi_c and xi_grad, the depth 6 xi_c below which Schoenholz et al. found random networks
trainable, and the nearest edge of chaos; then the same measured on random draws of the network on the
embedded MNIST digits (per-example RMS ||delta^l||, the correlation of digit pairs, with the draws'
spread); then a one-line verdict.

Weights are described in mean field's convention: W^l_ij ~ N(0, sigma_w^2 / n_(l-1)), b^l_i ~ N(0, sigma_b^2).
Mean field describes plain layers: with --residual or --batch-norm only the measurement is shown.

A file (--network) is an .npz: a network saved by the suite (Network.save: sizes, cost, w0, b0, ...;
sigmoid output), or plain arrays W0, b0, W1, b1, ... with W^l of shape (n_out, n_in) (z = W x + b;
softmax read-out). Its per-layer sigma_w^2 = n_in mean(w^2) and sigma_b^2 = mean(b^2) give the prediction;
the network itself is measured. The first width must be 784 and the last 10 (the digits).

--out DIR writes DIR/NAME.json, DIR/figures/NAME.pdf and .png, DIR/latex/NAME.tex (with macros.tex and
references.bib); files in DIR that this tool did not write are never overwritten (--force keeps them as
NAME.bak). A later full run (python -m proofs --out DIR) removes them as its own leftovers: give a
diagnosis a folder of its own. Exit status: 0, or 2 on bad input (one line naming the cause).
"""


def parse_sizes(text: str) -> list[int]:
    """Returns the widths of "784,100x20,10" (a width repeated with x): [784, 100, ..., 100, 10]; ValueError."""
    out = []
    for part in str(text).replace(" ", "").split(","):
        m = re.fullmatch(r"(\d+)(?:x(\d+))?", part)
        if not m:
            raise ValueError(f"--sizes: {part!r} is not a width or WIDTHxCOUNT (e.g. 784,100x20,10)")
        width, count = int(m[1]), int(m[2] or 1)
        if width < 1 or count < 1:
            raise ValueError(f"--sizes: widths and counts must be at least 1, got {part!r}")
        if len(out) + count > 10_000:
            raise ValueError("--sizes: at most 10,000 layers")
        out += [width] * count
    return out


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="python -m proofs diagnose", description=DESCRIPTION,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="784,30x4,10", metavar="LIST",
                   help="the widths, input first: 784,100x20,10 repeats 100 twenty times (default: the chapter's "
                        "%(default)s)")
    p.add_argument("--activation", default=None, metavar="NAME",
                   help="the hidden layers' activation: sigmoid (default), tanh, relu, leaky-relu, elu")
    p.add_argument("--init", default=None, metavar="INIT",
                   help="default (network2's), large, xavier-normal, xavier-uniform, he, orthogonal, glorot-2010, or "
                        "normal:SIGMA_W,SIGMA_B (mean field's); default: the activation's own (sigmoid: default, "
                        "tanh: xavier-normal, ReLU-like: he)")
    p.add_argument("--residual", action="store_true",
                   help="identity-skip blocks on every hidden layer after the first (measured only)")
    p.add_argument("--batch-norm", action="store_true", help="batch-normalised hidden layers (measured only)")
    p.add_argument("--network", metavar="FILE", help="diagnose the network saved in FILE (.npz; see above)")
    p.add_argument("--draws", type=int, default=None, metavar="N", help="random draws measured (default 8)")
    p.add_argument("--examples", type=int, default=200, metavar="N",
                   help="training digits measured on, their rows 2i, 2i+1 as pairs (default %(default)s)")
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="the root of the draws' random streams: numpy.random.SeedSequence(N) (default 0)")
    p.add_argument("--json", action="store_true", help="print the record as JSON instead of the screen")
    p.add_argument("--out", metavar="DIR", help="also write the record, a figure and a LaTeX fragment into DIR")
    p.add_argument("--name", default="diagnose", metavar="NAME",
                   help="the files' name in --out (default %(default)s; letters, digits, - and _)")
    p.add_argument("--force", action="store_true",
                   help="replace files in --out that this tool did not write, keeping each as NAME.bak")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on standard error")
    return p


def _record(args, say) -> dict:
    from ..diagnosis import diagnose

    if args.seed < 0:
        raise ValueError(f"--seed must be a non-negative integer, got {args.seed}")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,80}", args.name):
        raise ValueError(f"--name must be letters, digits, - and _ (a file name), got {args.name!r}")
    if args.network is not None:
        return diagnose(network=args.network, activation=args.activation, init=args.init, residual=args.residual,
                        batch_norm=args.batch_norm, draws=args.draws, examples=args.examples, seed=args.seed,
                        progress=say)
    return diagnose(sizes=parse_sizes(args.sizes), activation=args.activation, init=args.init,
                    residual=args.residual, batch_norm=args.batch_norm, draws=args.draws, examples=args.examples,
                    seed=args.seed, progress=say)


def _write(args, record: dict, say) -> None:
    from ..export.diagnosis_latex import files, planned
    from ..export.outdir import OutputDir
    from ..export.writers import library_versions

    with OutputDir(args.out, force=args.force, notify=lambda text: say(f"note: {text}")) as out:
        out.preflight(planned(args.name))
        out.write_many(files(record, args.name, library_versions()))
    say(f"wrote {', '.join(planned(args.name)[:4])} into {args.out}")


def main(argv=None) -> int:
    """Runs ``python -m proofs diagnose`` with ``argv`` (the arguments after "diagnose"); returns the exit status."""
    from ..diagnosis_screen import screen
    from ..export.manifest import OutputError

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2, its one line printed)
        return int(exc.code or 0)
    say = (lambda text: None) if args.quiet else (lambda text: print(f"        ... {text}", file=sys.stderr,
                                                                      flush=True))
    try:
        record = _record(args, say)
        if args.out is not None:
            _write(args, record, say)
    except (ValueError, TypeError, FileNotFoundError, OutputError) as exc:
        print(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.strerror or exc}{f' ({exc.filename})' if exc.filename else ''}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if args.json:
        from ..export.writers import library_versions
        from ..values import jsonable

        print(json.dumps(jsonable(record | {"libraries": library_versions()}), indent=2))
    else:
        print(screen(record), end="")
    return 0


def run(argv=None) -> None:
    """Runs ``main`` and exits with its status (a closed standard output ends quietly)."""
    try:
        code = main(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()
        code = 0
    sys.exit(code)
