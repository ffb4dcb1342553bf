"""multiprocessing: E3, E4 and no-op process start+join, with fork and with spawn.

usage: procs.py SLEEP_S STARTS
"""
import multiprocessing as mp
import statistics
import sys
import time

from common import emit, log, now


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


def run(method, d, starts):
    ctx = mp.get_context(method)
    out = {}
    t0 = now()
    p = ctx.Process(target=my_task, args=(d,))
    p.start()
    p.join()
    out[f"e3_{method}"] = now() - t0

    t0 = now()
    ps = [ctx.Process(target=worker, args=(n, d)) for n in "ABC"]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    out[f"e4_{method}"] = now() - t0

    xs = []
    for _ in range(starts):
        t0 = now()
        p = ctx.Process(target=noop)
        p.start()
        p.join()
        xs.append(now() - t0)
    out[f"proc_sj_{method}"] = statistics.median(xs)
    return out


if __name__ == "__main__":
    d, starts = float(sys.argv[1]), int(sys.argv[2])
    res = run("fork", d, starts)
    res.update(run("spawn", d, starts))
    emit(res)
