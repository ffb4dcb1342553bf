"""Widgets through jupyter_client, the way JupyterLab's @jupyter-widgets manager talks to a kernel.

Run by integration/widgets_test.go against the kernelspec QUIRE_KERNEL_NAME (default "quire").
Prints one line per check and exits non-zero on the first failure.
"""

import os
import queue
import sys
import time

from jupyter_client.manager import start_new_kernel

VIEW = "application/vnd.jupyter.widget-view+json"
TIMEOUT = 60

km, kc = start_new_kernel(kernel_name=os.environ.get("QUIRE_KERNEL_NAME", "quire"), startup_timeout=TIMEOUT)
seen = []  # every iopub message, in order


def finish(code):
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    sys.stdout.flush()
    os._exit(code)  # not sys.exit: jupyter_client's __del__ complains at interpreter teardown


def fail(msg):
    print("FAIL:", msg)
    finish(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok:", msg)


def collect(msg_id):
    """The iopub messages whose parent is msg_id, up to and including its status idle."""
    out = []
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        try:
            m = kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        seen.append(m)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        out.append(m)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            return out
    fail("no idle status for %s; got %s" % (msg_id, [x["msg_type"] for x in out]))


def execute(code):
    # stop_on_error=False: a cell sent right after a failing one is part of the test, not a
    # queued Run All that the kernel's stop-on-error window should abort.
    msg_id = kc.execute(code, stop_on_error=False)
    msgs = collect(msg_id)
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
    return reply, msgs


def comm(msg_type, content):
    """Sends a comm message on shell as a frontend does and returns its iopub messages."""
    msg = kc.session.msg(msg_type, content)
    kc.shell_channel.send(msg)
    return collect(msg["header"]["msg_id"])


def of_type(msgs, t):
    return [m for m in msgs if m["msg_type"] == t]


def stream(msgs, name):
    return "".join(m["content"]["text"] for m in of_type(msgs, "stream") if m["content"]["name"] == name)


# 1. A cell creates a slider and an Output redrawn by the slider's callback, shown in a VBox.
reply, msgs = execute('''import (
	"fmt"
	"github.com/quire-go/quire/display"
	"github.com/quire-go/quire/display/widget"
)
workers := widget.NewIntSlider("workers", 1, 8, 2)
out := widget.NewOutput()
workers.OnChange(func(n int) {
	fmt.Println("workers:", n)
	out.Show(display.HTML(fmt.Sprintf("<b>%d workers</b>", n)))
})
display.Show(widget.NewVBox(workers, out))''')
check(reply["content"]["status"] == "ok", "the widget cell runs: %s" % reply["content"].get("evalue"))
opens = of_type(msgs, "comm_open")
check(len(opens) == 7, "7 comm_open (slider, output, box and their layout/style models): %d" % len(opens))
for o in opens:
    if o["content"]["target_name"] != "jupyter.widget" or o["metadata"].get("version") != "2.1.0":
        fail("comm_open target/metadata: %s %s" % (o["content"], o["metadata"]))
    if "state" not in o["content"]["data"] or "buffer_paths" not in o["content"]["data"]:
        fail("comm_open data lacks state or buffer_paths: %s" % o["content"]["data"])
print("ok: every comm_open has target jupyter.widget, metadata version 2.1.0, state and buffer_paths")
by_name = {o["content"]["data"]["state"]["_model_name"]: o for o in opens}
slider = by_name.get("IntSliderModel")
check(slider is not None, "an IntSliderModel comm was opened")
sid = slider["content"]["comm_id"]
st = slider["content"]["data"]["state"]
check(st["_model_module"] == "@jupyter-widgets/controls" and st["_model_module_version"] == "2.0.0"
      and st["_view_name"] == "IntSliderView" and st["value"] == 2 and st["min"] == 1 and st["max"] == 8,
      "slider state: %s" % {k: st[k] for k in ("_model_module", "_model_module_version", "_view_name", "value", "min", "max")})
layout_ids = {o["content"]["comm_id"] for o in opens if o["content"]["data"]["state"]["_model_name"] == "LayoutModel"}
check(st["layout"].startswith("IPY_MODEL_") and st["layout"][len("IPY_MODEL_"):] in layout_ids, "the slider's layout is a LayoutModel referenced as IPY_MODEL_<id>")
oid = by_name["OutputModel"]["content"]["comm_id"]
check(by_name["OutputModel"]["content"]["data"]["state"]["_model_module"] == "@jupyter-widgets/output", "the Output model is @jupyter-widgets/output's")
disp = of_type(msgs, "display_data")
check(len(disp) == 1 and VIEW in disp[0]["content"]["data"] and "text/plain" in disp[0]["content"]["data"],
      "one display_data with the widget view and a text/plain fallback")
view = disp[0]["content"]["data"][VIEW]
box = by_name["VBoxModel"]["content"]
check(view == {"model_id": box["comm_id"], "version_major": 2, "version_minor": 1}, "the view names the VBox model, version 2.1: %s" % view)
check(box["data"]["state"]["children"] == ["IPY_MODEL_" + sid, "IPY_MODEL_" + oid], "the VBox's children are the slider and the output")
check(msgs.index(opens[-1]) < msgs.index(disp[0]), "comm_open comes before the display_data")

# 2. The user moves the slider: JupyterLab sends an update; the kernel echoes it and runs the callback.
t0 = time.time()
msgs = comm("comm_msg", {"comm_id": sid, "data": {"method": "update", "state": {"value": 6}, "buffer_paths": []}})
took = time.time() - t0
types = [m["msg_type"] for m in msgs]
check(types[0] == "status" and types[-1] == "status", "comm_msg is wrapped in busy/idle: %s" % types)
cms = of_type(msgs, "comm_msg")
check(len(cms) >= 2, "the kernel answers with comm_msg: %s" % types)
echo = cms[0]["content"]
check(echo["comm_id"] == sid and echo["data"]["method"] == "echo_update" and echo["data"]["state"] == {"value": 6}
      and echo["data"].get("buffer_paths") == [], "first an echo_update of the new value, parented to the update: %s" % echo)
check(stream(msgs, "stdout") == "workers: 6\n", "the Go callback's print comes under the comm_msg: %r" % stream(msgs, "stdout"))
upd = [m["content"] for m in cms if m["content"]["comm_id"] == oid]
check(len(upd) == 1 and upd[0]["data"]["method"] == "update", "the callback redrew the Output with an update")
outs = upd[0]["data"]["state"]["outputs"]
check(outs[0]["output_type"] == "display_data" and outs[0]["data"]["text/html"] == "<b>6 workers</b>", "the Output shows the callback's HTML: %s" % outs)
print("ok: round trip update -> echo_update + callback output + redraw in %.1f ms" % (took * 1000))

# 3. A later cell reads the value.
reply, msgs = execute("workers.Value()")
res = of_type(msgs, "execute_result")
check(res and res[0]["content"]["data"]["text/plain"] == "6", "Value() in a later cell is 6")

# 4. request_state: the full state comes back as an update.
msgs = comm("comm_msg", {"comm_id": sid, "data": {"method": "request_state"}})
cms = of_type(msgs, "comm_msg")
check(len(cms) == 1 and cms[0]["content"]["data"]["method"] == "update" and cms[0]["content"]["data"]["state"]["value"] == 6
      and cms[0]["content"]["data"]["state"]["_model_name"] == "IntSliderModel", "request_state is answered with the whole state")

# 5. JupyterLab's manager on (re)load: the control comm, request_states.
msgs = comm("comm_open", {"comm_id": "ctl-1", "target_name": "jupyter.widget.control", "data": {}})
check(not of_type(msgs, "comm_close"), "the kernel accepts the jupyter.widget.control comm")
msgs = comm("comm_msg", {"comm_id": "ctl-1", "data": {"method": "request_states"}})
cms = of_type(msgs, "comm_msg")
check(len(cms) == 1 and cms[0]["content"]["comm_id"] == "ctl-1" and cms[0]["content"]["data"]["method"] == "update_states",
      "request_states is answered with update_states")
states = cms[0]["content"]["data"]["states"]
s = states.get(sid, {})
check(s.get("model_name") == "IntSliderModel" and s.get("model_module") == "@jupyter-widgets/controls"
      and s.get("model_module_version") == "2.0.0" and s.get("state", {}).get("value") == 6 and len(states) == 7,
      "update_states holds the 7 models, the slider at 6")
comm("comm_close", {"comm_id": "ctl-1", "data": {}})
info = kc.comm_info(target_name="jupyter.widget", reply=True)
check(sid in info["content"]["comms"], "comm_info_request lists the widget comms")

# 6. A panicking callback is reported and ends nothing.
reply, msgs = execute('''b := widget.NewButton("boom")
b.OnClick(func() { panic("clicked too hard") })
display.Show(b)''')
bid = [o["content"]["comm_id"] for o in of_type(msgs, "comm_open") if o["content"]["data"]["state"]["_model_name"] == "ButtonModel"][0]
msgs = comm("comm_msg", {"comm_id": bid, "data": {"method": "custom", "content": {"event": "click"}}})
err = stream(msgs, "stderr")
check("panic in a widget callback" in err and "clicked too hard" in err, "the callback's panic is reported on stderr: %r" % err)
reply, msgs = execute("workers.Value()")
check(of_type(msgs, "execute_result")[0]["content"]["data"]["text/plain"] == "6", "the worker survived the panic (state kept)")

# 7. The worker crashes: its widgets are closed with a note.
reply, msgs = execute('go func() { panic("worker dies") }()\nselect {}')
check(reply["content"]["status"] == "error", "a goroutine panic ends the cell with an error")
deadline = time.time() + 10
closed, note = set(), ""
while time.time() < deadline:
    closed = {m["content"]["comm_id"] for m in seen if m["msg_type"] == "comm_close"}
    note = "".join(m["content"]["text"] for m in seen if m["msg_type"] == "stream")
    if sid in closed and bid in closed and "widgets it held are closed" in note:
        break
    try:
        seen.append(kc.get_iopub_msg(timeout=0.5))
    except queue.Empty:
        pass
check(sid in closed and bid in closed, "the kernel sent comm_close for the dead worker's widgets")
check("widgets it held are closed" in note, "the user is told the widgets are closed")
reply, msgs = execute("1 + 1")
check(of_type(msgs, "execute_result")[0]["content"]["data"]["text/plain"] == "2", "the kernel goes on")

print("OK")
finish(0)
