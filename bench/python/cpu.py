"""CPU-bound E8: 4 prime counts (trial division, about JOB_S each) sequential, in threads, in
processes and gathered as coroutines.

usage: cpu.py JOB_S [RUNS]

Each model runs RUNS times and its best wall time counts (on a loaded machine, other processes
only add time); speedups are the best sequential wall / the model's best wall.
"""
import asyncio
import math
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from common import emit, log, now


def count_primes(n):
    count = 0
    for k in range(2, n):
        d = 2
        prime = True
        while d * d <= k:
            if k % d == 0:
                prime = False
                break
            d += 1
        if prime:
            count += 1
    return count


def size_for(seconds):
    """The n for which count_primes(n) takes about seconds of CPU (cost ~ n^1.5 / ln n)."""
    n = 2000
    while True:
        t0 = time.thread_time()
        count_primes(n)
        t = time.thread_time() - t0
        if t >= 0.05:
            break
        n *= 2
    cost = lambda m: m ** 1.5 / math.log(m)
    lo, hi = n, n * 1000
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if t * cost(mid) / cost(n) < seconds:
            lo = mid
        else:
            hi = mid
    return lo


async def coro(n):
    return count_primes(n)


async def gathered(n):
    return await asyncio.gather(*(coro(n) for _ in range(4)))


def threads(n):
    ts = [threading.Thread(target=count_primes, args=(n,)) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def processes(n, want):
    with ProcessPoolExecutor(max_workers=4) as ex:
        got = list(ex.map(count_primes, [n] * 4))
    assert got == want


def main(job_s, runs):
    n = size_for(job_s)
    log(f"cpu: count_primes({n}) is about {job_s} s")
    want = [count_primes(n)] * 4
    models = {
        "e8_seq": lambda: [count_primes(n) for _ in range(4)],
        "e8_threads": lambda: threads(n),
        "e8_procs": lambda: processes(n, want),
        "e8_gather": lambda: asyncio.run(gathered(n)),
    }
    best = {}
    for run in range(runs):
        for key, fn in models.items():
            t0 = now()
            fn()
            dt = now() - t0
            log(f"cpu run {run + 1} {key}: {dt:.3f} s")
            best[key] = min(best.get(key, dt), dt)
    seq = best["e8_seq"]
    out = {"n": n, "e8_seq": seq}
    for key in ("e8_threads", "e8_procs", "e8_gather"):
        out[key] = seq / best[key]
    return out


if __name__ == "__main__":
    emit(main(float(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1))
