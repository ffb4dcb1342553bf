// Package reliability holds quire's hostile-input, fault and load tests (issue 7). It has no
// code of its own: its tests build cmd/quire once per run, start the real binary as a kernel
// (`quire kernel CONNECTION_FILE`) through kernel/client, and attack it the way a broken client,
// a learner's runaway cell or an intruder on the machine would:
//
//   - security: the sockets listen only on the connection file's address; messages with a
//     wrong, missing or replayed signature are refused, counted in the log and never executed;
//     the key never reaches the log; connection and history files are mode 0600; a connection
//     file with an unknown transport or signature scheme is refused with a clear error;
//   - bad input: malformed frames and JSON, wrong types, messages over the size cap, unknown
//     message types are logged and answered with an error reply where one is due;
//   - faults: kill -9 of the worker, the worker's memory limit, deep recursion, 10,000 blocked
//     goroutines, a 1 GB output flood, a client vanishing mid-cell, SIGTERM with executor
//     children running;
//   - load: 1,000 queued execute_requests, heartbeat latency while a cell spins every core, two
//     clients sharing iopub.
//
// Every test logs its counts (messages refused, faults survived, processes left) and checks
// through /proc that no quire process outlives it. The tests are Linux-only (they read /proc).
package reliability
