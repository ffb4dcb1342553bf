# Writes jupyter.ipynb with Debian's nbformat (what Jupyter uses to save notebooks), as a
# round-trip fixture for package notebook. Run: /usr/bin/python3 make_jupyter_fixture.py
import nbformat
from nbformat.v4 import (new_code_cell, new_markdown_cell, new_notebook, new_output,
                         new_raw_cell)

nb = new_notebook(metadata={
    "kernelspec": {"display_name": "Go (quire)", "language": "go", "name": "quire"},
    "language_info": {"file_extension": ".go", "mimetype": "text/x-go", "name": "go",
                      "version": "go1.26"},
})
cells = [
    new_markdown_cell("# Threads — a first look\n\nSleep **2 s** in three goroutines: « 2.00 s, not 6 ».\n\n"
                      "![logo](attachment:logo.png)",
                      attachments={"logo.png": {"image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="}}),
    new_code_cell("import \"fmt\"\n\nfor i := range 3 {\n\tfmt.Println(\"worker\", i, \"started\")\n}",
                  execution_count=1, metadata={"tags": ["demo"], "collapsed": False},
                  outputs=[
                      new_output("stream", name="stdout", text="worker 0 started\nworker 1 started\nworker 2 started\n"),
                      new_output("stream", name="stderr", text="warning: slow\n"),
                  ]),
    new_code_cell("report", execution_count=2, outputs=[
        new_output("execute_result", execution_count=2, data={
            "text/plain": "model    wall     speedup\nthreads  2.001 s  3.00x\n",
            "text/html": "<table>\n<tr><td>threads</td></tr>\n</table>",
            "image/svg+xml": "<svg xmlns=\"http://www.w3.org/2000/svg\">\n<rect width=\"10\" height=\"2\"/>\n</svg>\n",
        }, metadata={"isolated": True}),
        new_output("display_data", data={
            "image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\n",
            "text/plain": "<image 1x1>",
            "application/json": {"wall": 2.001, "tasks": [1, 2, 3], "ok": True, "note": None},
            "application/vnd.quire.report+json": {"speedup": 3.0, "n": 1e-05},
        }),
    ]),
    new_code_cell("panic(\"boom\")", execution_count=3, outputs=[
        new_output("error", ename="panic", evalue="boom",
                   traceback=["\u001b[0;31mpanic\u001b[0m: boom", "", "goroutine 1 [running]:", "\tcell 3, line 1"]),
    ]),
    new_code_cell("", execution_count=None),
    new_raw_cell("raw text\twith tab\u2028and a line separator"),
]
# Stable ids so the fixture is reproducible.
for i, c in enumerate(cells):
    c["id"] = "cell-%02d" % i
nb.cells = cells
nbformat.validate(nb)
with open("jupyter.ipynb", "w", encoding="utf-8") as f:
    nbformat.write(nb, f)
