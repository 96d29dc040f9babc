"""Streamed checksums of the definitive media library: ``python -m bench.dml_checksum``.

Writes a file of ``--mb`` MiB of pseudo-random bytes to a temporary directory, then computes
its SHA-256 the way ``steward dml register`` and ``steward dml verify`` do
(``releases.checksums.digest(file_chunks(path))``), ``--rounds`` times. Prints one JSON line:
the throughput in MiB/s (best and median round) and the peak Python memory allocated while
hashing (tracemalloc), which stays near one chunk whatever the file's size. No database.

    .venv/bin/python -m bench.dml_checksum --mb 512 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mb", type=int, default=256, help="File size in MiB.")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    from steward.releases.checksums import CHUNK_BYTES, digest, file_chunks

    with tempfile.TemporaryDirectory(prefix="dml-bench-") as folder:
        path = Path(folder) / "build.bin"
        block = os.urandom(CHUNK_BYTES)
        with path.open("wb") as out:
            for _ in range(args.mb):
                out.write(block)
        rates = []
        peak = 0
        checksum = ""
        for _ in range(args.rounds):
            tracemalloc.start()
            started = time.perf_counter()
            checksum = digest(file_chunks(path)).checksum
            elapsed = time.perf_counter() - started
            peak = max(peak, tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            rates.append(args.mb / elapsed)
    print(
        json.dumps(
            {
                "benchmark": "dml_checksum",
                "file_mib": args.mb,
                "rounds": args.rounds,
                "mib_per_s_best": round(max(rates), 1),
                "mib_per_s_median": round(statistics.median(rates), 1),
                "peak_alloc_kib": round(peak / 1024, 1),
                "chunk_kib": CHUNK_BYTES // 1024,
                "sha256": checksum[:16] + "...",
            }
        )
    )


if __name__ == "__main__":
    main()
