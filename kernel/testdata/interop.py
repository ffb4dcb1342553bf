"""Drive a quire kernel (fake backend) with jupyter_client; used by TestJupyterClientInterop."""
import sys
import time

import inspect

from jupyter_client import BlockingKernelClient

kc = BlockingKernelClient(connection_file=sys.argv[1])
kc.load_connection_file()
kc.start_channels()
kc.wait_for_ready(timeout=20)


def control_msg(timeout):
    # jupyter_client 7.4's blocking client returns a coroutine from the control channel.
    r = kc.control_channel.get_msg(timeout=timeout)
    if inspect.iscoroutine(r):
        import asyncio
        r = asyncio.get_event_loop().run_until_complete(r)
    return r


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


info = kc.kernel_info(reply=True, timeout=10)
c = info["content"]
check(c["status"] == "ok" and c["protocol_version"] == "5.3", "kernel_info %r" % (c,))
check(c["language_info"]["name"] == "fake", "language_info")

outs = []
reply = kc.execute_interactive("print hello", output_hook=outs.append, timeout=10)
check(reply["content"]["status"] == "ok", "execute status")
check(reply["content"]["execution_count"] == 1, "execution_count")
types = [m["msg_type"] for m in outs]
check(types == ["status", "execute_input", "stream", "status"] or types == ["execute_input", "stream"] or "stream" in types, "iopub types %r" % types)
text = "".join(m["content"]["text"] for m in outs if m["msg_type"] == "stream")
check(text == "hello\n", "stream text %r" % text)

outs = []
t0 = time.time()
reply = kc.execute_interactive("lines 100000", output_hook=outs.append, timeout=60)
text = "".join(m["content"]["text"] for m in outs if m["msg_type"] == "stream")
want = "".join("line %d\n" % i for i in range(100000))
check(text == want, "100000 lines in order (%.2fs, %d messages)" % (time.time() - t0, len(outs)))

outs = []


def stdin_hook(msg):
    check(msg["content"]["prompt"] == "name?", "input_request prompt")
    kc.input("Ada")


reply = kc.execute_interactive("input name?", allow_stdin=True, stdin_hook=stdin_hook, output_hook=outs.append, timeout=10)
text = "".join(m["content"]["text"] for m in outs if m["msg_type"] == "stream")
check(text == "got: Ada\n", "input round trip %r" % text)

outs = []
# stop_on_error=False: this client goes on right after the error (within the kernel's
# stop-on-error window, which would abort its next cell otherwise).
reply = kc.execute_interactive("fail boom", output_hook=outs.append, timeout=10, stop_on_error=False)
check(reply["content"]["status"] == "error" and reply["content"]["ename"] == "TestError", "error reply")
check(any(m["msg_type"] == "error" for m in outs), "error on iopub")

r = kc.complete("fmt.Pr", 6, reply=True, timeout=10)
check(r["content"]["matches"] == ["fmt.Println", "fmt.Printf"], "complete")
r = kc.inspect("fmt", 3, reply=True, timeout=10)
check(r["content"]["found"] is True, "inspect")
mid = kc.is_complete("func f() {")
r = kc.get_shell_msg(timeout=10)
check(r["parent_header"]["msg_id"] == mid, "is_complete parent")
check(r["content"]["status"] == "incomplete", "is_complete")
r = kc.history(hist_access_type="tail", n=10, reply=True, timeout=10)
hist = [tuple(e) for e in r["content"]["history"]]
check(len(hist) == 4 and hist[0][2] == "print hello", "history %r" % (hist,))
mid = kc.comm_info()
r = kc.get_shell_msg(timeout=10)
check(r["content"]["status"] == "ok", "comm_info")

check(kc.hb_channel.is_beating(), "heartbeat")

# Interrupt over control while a cell runs.
msg_id = kc.execute("sleep 20s")
time.sleep(0.3)
imsg = kc.session.msg("interrupt_request", {})
kc.control_channel.send(imsg)
r = control_msg(10)
check(r["msg_type"] == "interrupt_reply" and r["parent_header"]["msg_id"] == imsg["header"]["msg_id"], "interrupt_reply")
while True:
    r = kc.get_shell_msg(timeout=10)
    if r["parent_header"].get("msg_id") == msg_id:
        break
check(r["content"]["ename"] == "KeyboardInterrupt", "interrupted cell")

kc.shutdown()
r = control_msg(10)
check(r["msg_type"] == "shutdown_reply", "shutdown_reply")
kc.stop_channels()
print("INTEROP OK")
