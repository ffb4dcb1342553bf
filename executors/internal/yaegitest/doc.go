// Package yaegitest checks that functions interpreted by yaegi work with package executors.
// It lives apart so that the executors test binary, re-executed as a child process, stays
// small and starts fast. It has tests only.
package yaegitest
