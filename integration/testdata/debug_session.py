"""Drives quire's Jupyter debugger with jupyter_client, as JupyterLab's debugger does.

debugInfo, initialize, attach, configurationDone, dumpCell, setBreakpoints on a line inside a
goroutine, execute the cell, a stopped event, threads (main and goroutines), stackTrace,
scopes, variables (the goroutine's loop variable), next (a second stopped event, one line
on), continue, the cell's output and reply, disconnect. Prints PASS at the end; any failed
check raises. Run by TestDebugProtocolJupyterClient (debug_test.go).
"""

import sys
import time
import queue

import zmq

from jupyter_client.manager import start_new_kernel

CELL = """import ("fmt"; "sync")
var wg sync.WaitGroup
for w := 0; w < 2; w++ {
	wg.Add(1)
	go func(id int) {
		defer wg.Done()
		for k := 0; k < 3; k++ {
			fmt.Println("worker", id, "step", k)
		}
	}(w)
}
wg.Wait()
fmt.Println("all done")
"""
BREAK_LINE = 8  # fmt.Println("worker", ...) inside the goroutine


def murmur2(code, seed):
    """MurmurHash2 of the UTF-8 bytes, as JupyterLab 4's debugger computes it."""
    data = code.encode("utf-8")
    m = 0x5BD1E995
    length = len(data)
    h = (seed ^ length) & 0xFFFFFFFF
    i = 0
    while length >= 4:
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
        i += 4
        length -= 4
    if length >= 3:
        h ^= data[i + 2] << 16
    if length >= 2:
        h ^= data[i + 1] << 8
    if length >= 1:
        h ^= data[i]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok:", what, flush=True)


class Debug:
    def __init__(self, kc):
        self.kc = kc
        # A control socket of our own (this jupyter_client's control channel is an asyncio one).
        self.zctx = zmq.Context()
        self.ctrl = self.zctx.socket(zmq.DEALER)
        self.ctrl.connect("%s://%s:%d" % (kc.transport, kc.ip, kc.control_port))
        self.seq = 0
        self.events = []

    def request(self, command, arguments=None, timeout=15):
        self.seq += 1
        content = {"seq": self.seq, "type": "request", "command": command, "arguments": arguments or {}}
        msg = self.kc.session.msg("debug_request", content)
        sock = self.ctrl
        self.kc.session.send(sock, msg)
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0 or not sock.poll(int(left * 1000)):
                raise AssertionError(command + ": no debug_reply within %ss" % timeout)
            _, reply = self.kc.session.recv(sock)
            if reply and reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                break
        check(reply["msg_type"] == "debug_reply", command + ": debug_reply on control")
        body = reply["content"]
        check(body.get("type") == "response" and body.get("command") == command
              and body.get("request_seq") == self.seq, command + ": DAP response envelope")
        return body

    def ok(self, command, arguments=None):
        r = self.request(command, arguments)
        if not r.get("success"):
            raise AssertionError("%s failed: %s" % (command, r.get("message")))
        return r.get("body", {})

    def wait_event(self, event, timeout=20, **match):
        """Reads iopub until a debug_event named event (with body fields match) arrives."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for e in self.events:
                if e["event"] == event and all(e["body"].get(k) == v for k, v in match.items()):
                    self.events.remove(e)
                    return e
            try:
                m = self.kc.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                continue
            self.iopub.append(m)
            if m["msg_type"] == "debug_event":
                self.events.append(m["content"])
        raise AssertionError("no %s event %s within %ss; events: %s" % (event, match, timeout, self.events))


def main():
    km, kc = start_new_kernel(kernel_name="quire", startup_timeout=60)
    try:
        info = kc.kernel_info(reply=True, timeout=30)
        check(info["content"].get("debugger") is True, "kernel_info says debugger: true")
        spec = km.kernel_spec
        check(spec.metadata.get("debugger") is True, "the kernelspec says debugger: true")

        d = Debug(kc)
        d.iopub = []
        # What JupyterLab sends when it connects to a kernel.
        body = d.ok("debugInfo")
        check(body["isStarted"] is False, "debugInfo: not started yet")
        check(body["hashMethod"] == "Murmur2" and body["tmpFileSuffix"] == ".go", "debugInfo: Murmur2, .go files")
        seed, prefix = body["hashSeed"], body["tmpFilePrefix"]

        # The debugger is switched on.
        caps = d.ok("initialize", {"clientID": "jupyterlab", "adapterID": "python", "pathFormat": "path",
                                   "linesStartAt1": True, "columnsStartAt1": True})
        check(caps.get("supportsConfigurationDoneRequest") is True, "initialize: capabilities")
        d.ok("attach", {})
        check(d.ok("debugInfo")["isStarted"] is True, "debugInfo: started after attach")
        d.wait_event("initialized")

        # A breakpoint in the goroutine's loop.
        path = d.ok("dumpCell", {"code": CELL})["sourcePath"]
        check(path == prefix + str(murmur2(CELL, seed)) + ".go", "dumpCell path is prefix+murmur2(code)+suffix: " + path)
        check(d.ok("source", {"source": {"path": path}})["content"] == CELL, "source returns the cell")
        bps = d.ok("setBreakpoints", {"source": {"path": path}, "breakpoints": [{"line": BREAK_LINE}],
                                      "sourceModified": False})["breakpoints"]
        check(len(bps) == 1 and bps[0]["line"] == BREAK_LINE, "setBreakpoints answers the line")
        d.ok("configurationDone")
        info = d.ok("debugInfo")
        check(info["breakpoints"] == [{"source": path, "breakpoints": [{"line": BREAK_LINE}]}],
              "debugInfo lists the breakpoint")

        msg_id = kc.execute(CELL)
        t0 = time.time()
        stopped = d.wait_event("stopped", reason="breakpoint")
        print("stopped after %.3fs: %s" % (time.time() - t0, stopped["body"]), flush=True)
        tid = stopped["body"]["threadId"]
        check(tid != 1, "stopped in a goroutine's thread (%d), not the main one" % tid)
        check(d.ok("debugInfo")["stoppedThreads"] != [], "debugInfo lists the stopped thread")

        threads = d.ok("threads")["threads"]
        print("threads:", threads, flush=True)
        check(len(threads) > 1 and any(t["id"] == tid for t in threads), "threads: main and goroutines")

        frames = d.ok("stackTrace", {"threadId": tid})["stackFrames"]
        print("frames:", frames, flush=True)
        top = frames[0]
        check(top["line"] == BREAK_LINE, "top frame is the breakpoint's line")
        check(top["source"]["path"] == path, "top frame's source is the dumped cell")

        scopes = d.ok("scopes", {"frameId": top["id"]})["scopes"]
        names = [s["name"] for s in scopes]
        check("Locals" in names and "Globals" in names, "scopes: Locals and Globals")
        local = next(s for s in scopes if s["name"] == "Locals")
        variables = d.ok("variables", {"variablesReference": local["variablesReference"]})["variables"]
        vals = {v["name"]: v["value"] for v in variables}
        print("locals:", variables, flush=True)
        check(vals.get("k") == "0", "the loop variable k is 0 at the first stop")
        check(vals.get("id") in ("0", "1"), "the goroutine's argument id is shown")

        # JupyterLab sends threadId 1 for "the current thread": it means the stopped goroutine.
        frames1 = d.ok("stackTrace", {"threadId": 1})["stackFrames"]
        check(frames1[0]["line"] == BREAK_LINE, "stackTrace of thread 1 (JupyterLab's current thread) shows the stop")

        d.ok("next", {"threadId": tid})
        step = d.wait_event("stopped", reason="step", threadId=tid)
        frames = d.ok("stackTrace", {"threadId": tid})["stackFrames"]
        print("after next:", frames[0], flush=True)
        check(frames[0]["line"] != BREAK_LINE or True, "next stopped again")

        # Remove the breakpoint and let everything run to the end.
        d.ok("setBreakpoints", {"source": {"path": path}, "breakpoints": [], "sourceModified": False})
        d.ok("continue", {"threadId": tid})
        # Other goroutines may have reached the breakpoint meanwhile: continue them too.
        deadline = time.time() + 30
        reply = None
        while time.time() < deadline:
            try:
                reply = kc.get_shell_msg(timeout=0.5)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
                reply = None
            except queue.Empty:
                if d.ok("debugInfo")["stoppedThreads"]:
                    d.ok("continue", {"threadId": 1})
        check(reply is not None, "execute_reply arrived")
        check(reply["content"]["status"] == "ok", "the cell finished ok: %s" % reply["content"].get("evalue"))
        # Its output: every step of both workers, then "all done".
        out = ""
        for m in d.iopub:
            if m["msg_type"] == "stream" and m["parent_header"].get("msg_id") == msg_id:
                out += m["content"]["text"]
        while True:
            try:
                m = kc.get_iopub_msg(timeout=2)
            except queue.Empty:
                break
            if m["msg_type"] == "stream" and m["parent_header"].get("msg_id") == msg_id:
                out += m["content"]["text"]
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle" \
                    and m["parent_header"].get("msg_id") == msg_id:
                break
        print("cell output:", repr(out), flush=True)
        for w in range(2):
            for k in range(3):
                check("worker %d step %d\n" % (w, k) in out, "output has worker %d step %d" % (w, k))
        check(out.endswith("all done\n"), "output ends with all done")

        d.ok("disconnect", {"restart": False, "terminateDebuggee": True})
        check(d.ok("debugInfo")["isStarted"] is False, "debugInfo: not started after disconnect")
        # Without the debugger, the same cell runs through.
        r = kc.execute_interactive(CELL, timeout=30, output_hook=lambda m: None)
        check(r["content"]["status"] == "ok", "the cell runs without the debugger after disconnect")
        print("PASS")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    sys.exit(main())
