"""Driving Debian's `wrk` for bench_server: write a request plan, run it, parse its figures."""
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "server_requests.lua"
INSTALL_HINT = ("wrk (the HTTP load generator) is not installed: `apt-get install -y wrk` on "
                "Debian/Ubuntu, or build it from its source; then run the benchmark again")
LINE = re.compile(r"^BENCH (.*)$", re.M)


@dataclass
class Figures:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    status_errors: int
    socket_errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def find() -> str | None:
    """The wrk executable, or None."""
    return shutil.which("wrk")


def parse(output: str) -> Figures:
    """The figures of the `BENCH key=value …` line server_requests.lua prints."""
    match = LINE.search(output)
    if match is None:
        raise ValueError(f"no BENCH line in wrk's output: {output[-500:]!r}")
    values = dict(item.split("=", 1) for item in match.group(1).split())
    return Figures(requests=int(values["requests"]), seconds=int(values["duration_us"]) / 1e6,
                   p50_ms=int(values["p50_us"]) / 1000, p99_ms=int(values["p99_us"]) / 1000,
                   status_errors=int(values["status_errors"]),
                   socket_errors=int(values["socket_errors"]))


def write_plan(path: Path, headers: dict[str, str], requests: list[tuple[str, str, str]]) -> Path:
    """The tab-separated plan server_requests.lua reads (no tabs or newlines in any value)."""
    lines = [f"H\t{name}\t{value}" for name, value in headers.items()]
    lines += [f"R\t{method}\t{target}\t{body}" for method, target, body in requests]
    assert not any("\n" in line or line.count("\t") > 3 for line in lines)
    path.write_text("\n".join(lines) + "\n")
    return path


def run(executable: str, base_url: str, plan: Path, seconds: float, connections: int,
        start: int = 0) -> Figures:
    """One bounded wrk run (one thread) against `base_url` with the requests of `plan`, the
    first being number `start` (modulo the plan's length)."""
    command = [executable, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s",
               "--timeout", "10s", "-s", str(SCRIPT), base_url, "--", str(plan), str(start)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-500:]}")
    return parse(done.stdout)
