"""asyncio.gather: E5, E6, many gathered sleeps.

usage: gather.py basic SLEEP_S | gather.py many COUNT SLEEP_S
"""
import asyncio
import sys

from common import emit, log, maxrss_mib, now


async def nap(d):
    await asyncio.sleep(d)


async def fetch_data(d):
    log("fetching data...")
    await asyncio.sleep(d)
    log("data fetched")
    return {"data": 123}


async def three(d):
    await asyncio.gather(nap(d), nap(d), nap(d))


async def two_fetches(d):
    return await asyncio.gather(fetch_data(d), fetch_data(d))


def basic(d):
    out = {}
    t0 = now()
    asyncio.run(three(d))
    out["e5"] = now() - t0
    t0 = now()
    asyncio.run(two_fetches(d))
    out["e6"] = now() - t0
    return out


async def gather_many(count, d):
    await asyncio.gather(*(nap(d) for _ in range(count)))


def many(count, d):
    t0 = now()
    asyncio.run(gather_many(count, d))
    return {"wall": now() - t0, "maxrss": maxrss_mib()}


if __name__ == "__main__":
    if sys.argv[1] == "basic":
        emit(basic(float(sys.argv[2])))
    else:
        emit(many(int(sys.argv[2]), float(sys.argv[3])))
