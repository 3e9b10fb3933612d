"""OpenMP's waiting threads spin briefly, then sleep (set before torch loads), unless told
otherwise."""

from __future__ import annotations

import os
import subprocess
import sys

CODE = ("import os, tts_engine, torch; "
        "print(os.environ.get('OMP_WAIT_POLICY'), os.environ.get('GOMP_SPINCOUNT'))")
KEYS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


def _setting(**given: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in KEYS} | given
    out = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True,
                         check=True, timeout=120)
    return out.stdout.strip()


def test_a_brief_spin_unless_the_environment_says_otherwise() -> None:
    assert _setting() == "None 10000"
    assert _setting(GOMP_SPINCOUNT="5000") == "None 5000"
    # A wait policy of the user's own keeps libgomp's meaning for it: no spin count imposed.
    assert _setting(OMP_WAIT_POLICY="PASSIVE") == "PASSIVE None"
    assert _setting(OMP_WAIT_POLICY="ACTIVE") == "ACTIVE None"
