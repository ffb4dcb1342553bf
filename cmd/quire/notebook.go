package main

import (
	"errors"
	"io"
)

var errPending = errors.New("not built yet")

func cmdRun(args []string, stdout, stderr io.Writer) error     { return errPending }
func cmdLessons(args []string, stdout, stderr io.Writer) error { return errPending }
func cmdGrade(args []string, stdout, stderr io.Writer) error   { return errPending }
