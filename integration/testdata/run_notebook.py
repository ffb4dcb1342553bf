"""Execute a notebook with nbclient and compare each cell's outputs with its expectations.

A code cell's metadata may hold "quire_expect":
  {"stdout": exact stdout text, "stderr_contains": text, "result": exact text/plain of execute_result,
   "no_result": true, "error": ename, "error_contains": text in evalue,
   "mime": [MIME types that must appear in some display_data or execute_result],
   "max_seconds": wall-clock bound for the cell,
   "timeout": seconds after which nbclient interrupts the cell (default 120)}
Prints one line per checked cell and a closing "N passed, N failed" line; exits 1 on failure.
usage: run_notebook.py NOTEBOOK [KERNEL_NAME]
"""
import sys
import time

import nbformat
from nbclient import NotebookClient


def outputs_of(cell):
    stdout = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")
    stderr = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stderr")
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    errors = [o for o in cell.outputs if o.output_type == "error"]
    mimes = set()
    for o in cell.outputs:
        if o.output_type in ("display_data", "execute_result"):
            mimes.update(o.get("data", {}).keys())
    return stdout, stderr, results, errors, mimes


def check(cell, elapsed):
    exp = cell.metadata.get("quire_expect")
    if exp is None:
        return None
    stdout, stderr, results, errors, mimes = outputs_of(cell)
    problems = []
    if "stdout" in exp and stdout != exp["stdout"]:
        problems.append(f"stdout {stdout!r}, want {exp['stdout']!r}")
    if "stdout_contains" in exp and exp["stdout_contains"] not in stdout:
        problems.append(f"stdout {stdout!r} lacks {exp['stdout_contains']!r}")
    if "stderr_contains" in exp and exp["stderr_contains"] not in stderr:
        problems.append(f"stderr {stderr!r} lacks {exp['stderr_contains']!r}")
    if "result" in exp:
        got = results[0]["data"].get("text/plain") if results else None
        if got != exp["result"]:
            problems.append(f"result {got!r}, want {exp['result']!r}")
    if exp.get("no_result") and results:
        problems.append(f"unexpected result {results[0]['data']}")
    if "error" in exp:
        if not errors:
            problems.append(f"no error, want {exp['error']}")
        else:
            if errors[0].ename != exp["error"]:
                problems.append(f"ename {errors[0].ename!r}, want {exp['error']!r}")
            if exp.get("error_contains", "") not in errors[0].evalue:
                problems.append(f"evalue {errors[0].evalue!r} lacks {exp['error_contains']!r}")
    elif errors:
        problems.append(f"unexpected error {errors[0].ename}: {errors[0].evalue}")
    for m in exp.get("mime", []):
        if m not in mimes:
            problems.append(f"no {m} output (have {sorted(mimes)})")
    if "max_seconds" in exp and elapsed > exp["max_seconds"]:
        problems.append(f"took {elapsed:.3f}s, limit {exp['max_seconds']}s")
    return problems


def main():
    path = sys.argv[1]
    kernel = sys.argv[2] if len(sys.argv) > 2 else "quire"
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel, timeout=120, allow_errors=True,
                            interrupt_on_timeout=True,
                            timeout_func=lambda cell: cell.metadata.get("quire_expect", {}).get("timeout", 120))
    passed = failed = 0
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t0 = time.monotonic()
            client.execute_cell(cell, index)
            elapsed = time.monotonic() - t0
            problems = check(cell, elapsed)
            if problems is None:
                continue
            name = cell.metadata.get("name", f"cell {index}")
            if problems:
                failed += 1
                print(f"FAIL {name}: " + "; ".join(problems))
            else:
                passed += 1
                print(f"ok   {name} ({elapsed:.3f}s)")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
