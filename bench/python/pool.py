"""concurrent.futures.ThreadPoolExecutor: E7 and the submit->result round trip.

usage: pool.py SLEEP_S ROUND_TRIPS
"""
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from common import emit, now


def task(n, d):
    time.sleep(d)
    return f"Task {n} completed"


def noop():
    return None


def main(d, rts):
    out = {}
    t0 = now()
    with ThreadPoolExecutor(max_workers=3) as ex:
        fs = [ex.submit(task, n, d) for n in range(1, 6)]
        got = [f.result() for f in fs]
    out["e7"] = now() - t0
    assert got == [f"Task {n} completed" for n in range(1, 6)], got

    with ThreadPoolExecutor(max_workers=1) as ex:
        ex.submit(noop).result()  # start the worker thread
        t0 = now()
        for _ in range(rts):
            ex.submit(noop).result()
        out["pool_rt"] = (now() - t0) / rts
    return out


if __name__ == "__main__":
    emit(main(float(sys.argv[1]), int(sys.argv[2])))
