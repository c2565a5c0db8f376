"""`python -m bench [name ...]`: run every benchmark (or those named) and print its report."""
import importlib
import pkgutil
import sys
import time
from pathlib import Path

import bench


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if n.removeprefix("bench_") in argv or n in argv]
    out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(exist_ok=True)
    report = []
    for name in names:
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        lines = importlib.import_module(f"bench.{name}").run()
        lines.append(f"({name} took {time.perf_counter() - started:.1f} s)")
        for line in lines:
            print("  " + line, flush=True)
        report += [f"== {name}", *("  " + line for line in lines)]
    (out_dir / "latest.txt").write_text("\n".join(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
