"""Interleaved A/B timing: two warm child processes, one per mode, driven run by run in turn.

Timing every run of one mode and then every run of the other lets the shared machine's
load drift in between (1.30x and 0.99x for the same code minutes apart). Here each mode
lives in its own long-lived child, set up and warmed once; the parent asks them for one
run at a time, A B, B A, A B … (the order flips each pair, so neither always goes first),
and reports the ratio of the medians with the spread of the per-pair ratios.

The child side is ``serve(handler)``: after its setup it answers one JSON request per
line on stdin with one marked JSON line on stdout (``{name: seconds}``); anything else it
prints is ignored, its stderr goes to a file that is shown if it dies.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from dataclasses import field

MARK = "AB-RESULT "


# The child's side ---------------------------------------------------------------------


def serve(handler) -> None:
    """Say ready, then answer requests until stdin closes. ``handler(request) -> dict``."""
    out = sys.stdout
    # Whatever the measured code prints must not be taken for an answer.
    sys.stdout = sys.stderr
    out.write(MARK + json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        if line.strip():
            out.write(MARK + json.dumps(handler(json.loads(line))) + "\n")
            out.flush()


# The parent's side --------------------------------------------------------------------


class Child:
    """One mode's warm process. Starts at once; ``ready()`` waits for its setup."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (lives with the child)
        self.process = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            bufsize=1,
        )

    def _answer(self) -> dict:
        for line in self.process.stdout:
            if line.startswith(MARK):
                return json.loads(line.removeprefix(MARK))
        self.process.wait()
        self.stderr.seek(0)
        tail = self.stderr.read()[-4000:]
        sys.exit(f"{self.name}: the child exited ({self.process.returncode}):\n{tail}")

    def ready(self) -> None:
        self._answer()

    def ask(self, request: dict) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()


def quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


@dataclass
class Comparison:
    """One measured thing's timings in both modes, pair by pair (seconds)."""

    name: str
    a: list[float] = field(default_factory=list)
    b: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """The ratio of the medians, A / B."""
        return statistics.median(self.a) / statistics.median(self.b)

    @property
    def pair_ratios(self) -> list[float]:
        return [x / y for x, y in zip(self.a, self.b, strict=True)]

    def describe(self, labels: tuple[str, str], unit: str = "s") -> list[str]:
        scale = 1000 if unit == "ms" else 1

        def side(label: str, values: list[float]) -> str:
            low, high = quartiles(values)
            return (
                f"{label:>15} median {statistics.median(values) * scale:8.2f} {unit}"
                f"  IQR {low * scale:.2f}–{high * scale:.2f}"
                f"  min–max {min(values) * scale:.2f}–{max(values) * scale:.2f}"
            )

        ratios = self.pair_ratios
        low, high = quartiles(ratios)
        return [
            f"  {self.name} ({len(self.a)} pairs)",
            "  " + side(labels[0], self.a),
            "  " + side(labels[1], self.b),
            f"  {'ratio':>15} {self.ratio:.3f} (of the medians)  per-pair ratios: "
            f"IQR {low:.3f}–{high:.3f}, min–max {min(ratios):.3f}–{max(ratios):.3f}",
        ]


def interleave(
    a: Child,
    b: Child,
    requests: list[dict],
    *,
    progress: bool = True,
) -> dict[str, Comparison]:
    """Ask both children each request in turn (A B, then B A …); timings by name."""
    results: dict[str, Comparison] = {}
    for i, request in enumerate(requests):
        order = (a, b) if i % 2 == 0 else (b, a)
        answers = {child.name: child.ask(request) for child in order}
        for name, seconds in answers[a.name].items():
            entry = results.setdefault(name, Comparison(name))
            entry.a.append(seconds)
            entry.b.append(answers[b.name][name])
        if progress:
            print(
                f"    pair {i + 1}/{len(requests)}: "
                + ", ".join(
                    f"{name} {answers[a.name][name]:.2f}/{answers[b.name][name]:.2f} s"
                    for name in answers[a.name]
                ),
                flush=True,
            )
    return results


def load_average() -> str:
    return (
        "load average "
        + " ".join(f"{n:.1f}" for n in os.getloadavg())
        + f" on {os.cpu_count()} CPUs"
    )
