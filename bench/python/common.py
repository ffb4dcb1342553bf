"""Helpers shared by quire's CPython benchmark scripts (run with /usr/bin/python3)."""
import json
import resource
import sys
import time

now = time.perf_counter


def maxrss_mib():
    """Peak resident set size of this process so far, in MiB (ru_maxrss is kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(result):
    """Print the result as one JSON object on stdout (the Go benchmark reads it)."""
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()


def log(*args):
    """Task output goes to stderr, so that stdout carries only the JSON result."""
    print(*args, file=sys.stderr, flush=True)
