"""CPU-bound E8: 4 prime counts (trial division, about JOB_S each) sequential, in threads, in
processes and gathered as coroutines.

usage: cpu.py JOB_S
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


def main(job_s):
    n = size_for(job_s)
    log(f"cpu: count_primes({n}) is about {job_s} s")
    out = {"n": n}
    t0 = now()
    want = [count_primes(n) for _ in range(4)]
    seq = now() - t0
    out["e8_seq"] = seq

    t0 = now()
    ts = [threading.Thread(target=count_primes, args=(n,)) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out["e8_threads"] = seq / (now() - t0)

    t0 = now()
    with ProcessPoolExecutor(max_workers=4) as ex:
        got = list(ex.map(count_primes, [n] * 4))
    out["e8_procs"] = seq / (now() - t0)
    assert got == want

    t0 = now()
    asyncio.run(gathered(n))
    out["e8_gather"] = seq / (now() - t0)
    return out


if __name__ == "__main__":
    emit(main(float(sys.argv[1])))
