"""The shape of the feature's command line: one argument in, one JSON result out, exit code 2 on bad setup."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any, Callable

from .settings import ConfigError


def run_once(argv: list[str], usage: str, handle: Callable[[str], Any]) -> int:
    if len(argv) != 1:
        print(f"usage: {usage}", file=sys.stderr)
        return 2
    try:
        result = handle(argv[0])
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(asdict(result), indent=2))
    return 0
