"""threading: E1, E2, thread start+join, many threads sleeping.

usage: threads.py basic SLEEP_S SPAWNS | threads.py many COUNT SLEEP_S
"""
import sys
import threading
import time

from common import emit, log, maxrss_mib, now


def my_task(d):
    log("task: starting")
    time.sleep(d)
    log("task: finished")


def worker(name, d):
    log(f"worker {name}: starting")
    time.sleep(d)
    log(f"worker {name}: finished")


def noop():
    pass


def basic(d, spawns):
    out = {}
    t0 = now()
    t = threading.Thread(target=my_task, args=(d,))
    t.start()
    t.join()
    out["e1"] = now() - t0

    t0 = now()
    ts = [threading.Thread(target=worker, args=(n, d)) for n in "ABC"]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    log("all finished")
    out["e2"] = now() - t0

    t0 = now()
    for _ in range(spawns):
        t = threading.Thread(target=noop)
        t.start()
        t.join()
    out["thread_sj"] = (now() - t0) / spawns
    return out


def many(count, d):
    t0 = now()
    ts = [threading.Thread(target=time.sleep, args=(d,)) for _ in range(count)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return {"wall": now() - t0, "maxrss": maxrss_mib()}


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "basic":
        emit(basic(float(sys.argv[2]), int(sys.argv[3])))
    else:
        emit(many(int(sys.argv[2]), float(sys.argv[3])))
