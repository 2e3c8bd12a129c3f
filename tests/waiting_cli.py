"""``python tests/waiting_cli.py ARGS``: the command line with one more claim, ``test-waiting``, for the signal tests.

Its two parts wait in 10 ms steps (up to a minute) and compute nothing, so a test that signals a run in the middle
of its work finds it there whatever the machine's load, and costs no CPU (issue 29: no signal test rides on real
training and a timer). With ``--jobs 2`` each worker waits in one part. Tests only: the suite's registry is wrapped
here, in this process, and the workers forked from it.
"""

import sys
import time

from proofs.claim import Claim, Evidence, Fact
from proofs.context import Part
from proofs.run import registry

STEP, LIMIT = 0.01, 60.0


def wait_in_steps(run, seconds: float, index: int) -> int:
    """Waits ``seconds`` in small steps (a signal lands between two of them); returns the steps taken."""
    steps = int(seconds / STEP)
    for _ in range(steps):
        time.sleep(STEP)
    return steps


def _parts(ctx):
    return [Part.of(ctx.run, wait_in_steps, LIMIT, i) for i in range(2)]


def _check(ctx):
    steps = [ctx.part(wait_in_steps, LIMIT, i) for i in range(2)]
    return Evidence("verified", [Fact("both parts waited their steps", steps == [int(LIMIT / STEP)] * 2, "time.sleep")])


WAITING = Claim("test-waiting", "tests", "a claim that waits", _check, group="tests", parts=_parts)

if __name__ == "__main__":
    everything = registry.all_claims
    registry.all_claims = lambda: [*everything(), WAITING]
    from proofs.__main__ import main

    sys.exit(main())
