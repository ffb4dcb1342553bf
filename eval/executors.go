package eval

import "github.com/quire-go/quire/eval/cell"

// wrapExecutorFuncs wraps bare top-level function identifiers passed to executors APIs.
func (s *Supervisor) wrapExecutorFuncs(plan *cell.Plan, known cell.Known) *cell.Plan { return plan }
