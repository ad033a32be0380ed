"""Rasterise one sanitised SVG in a process of its own, so that a costly document can be killed.

    python -I resvg_child.py WIDTH HEIGHT CPU_SECONDS MEMORY_BYTES < document.svg > image.png

The CPU and address-space limits are set before resvg is loaded; the parent also kills the
process at its deadline. Run as a script by path: it imports nothing of the service.
"""

from __future__ import annotations

import resource
import sys


def main(argv: list[str]) -> int:
    width, height, cpu_seconds, memory_bytes = (int(value) for value in argv[1:5])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    import resvg_py  # after the limits, so that everything it allocates counts

    document = sys.stdin.buffer.read().decode("utf-8")
    png = resvg_py.svg_to_bytes(svg_string=document, width=width, height=height)
    sys.stdout.buffer.write(bytes(png))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
