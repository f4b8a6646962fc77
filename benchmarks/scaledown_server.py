"""A local ScaleDown-compatible compression server for the Locust load test (and for trying
``mode: scaledown`` offline): ``python benchmarks/scaledown_server.py --port 8765``.

It speaks ScaleDown's wire format (``POST /compress/raw/``, header ``x-api-key``) and keeps
the first ``rate`` share of the context's words. The key it accepts is ``--key`` (default
``local-test-key``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.fake_scaledown_server import FakeScaleDownServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--key", default="local-test-key")
    args = parser.parse_args()
    with FakeScaleDownServer(args.key, port=args.port) as server:
        print(f"ScaleDown-compatible server at {server.url} (key {args.key!r})", flush=True)
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
