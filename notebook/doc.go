// Package notebook reads, writes, executes and prints Jupyter notebooks (nbformat 4.5).
//
// The model has three layers:
//
//   - Format. A Notebook holds Cells; a code Cell holds Outputs (stream, display_data,
//     execute_result, error). Parse/Read accept what Jupyter writes (sources as strings or lists
//     of lines, nbformat 4.0 to 4.5); Marshal/Write produce byte-for-byte what nbformat writes:
//     keys sorted, one space of indent, multi-line strings as lists of lines, non-ASCII kept,
//     a final newline. A notebook saved by Jupyter round-trips unchanged.
//
//   - Execution. Execute sends each code cell to a Kernel, a one-method interface over a real
//     Jupyter client (package notebook/jupyter adapts kernel/client), and turns the iopub
//     messages into outputs the way nbclient and JupyterLab do: streams merged, display ids
//     updated in place, clear_output honoured (with wait), the first error stopping the run
//     unless errors are allowed, a timeout per cell. Events report each step as it happens.
//
//   - Terminal. A Printer turns those events into live terminal output, as `quire run` shows
//     it: a header per cell ("In [3]:") with the source dimmed, stream text as is, rich outputs
//     as their text/plain (a one-line note when a notebook viewer is needed), errors with their
//     traceback. Render prints one finished cell the same way. Run ties it together: read a
//     file, execute it through a kernel from a KernelFactory while printing, write the result.
//
// The command line built on Run is:
//
//	quire run NOTEBOOK.ipynb [--out FILE] [--inplace] [--allow-errors] [--timeout D]
//
// It prints every cell's outputs as they arrive and, with --out or --inplace, writes the
// executed notebook; it exits non-zero when a cell fails (unless --allow-errors).
package notebook
