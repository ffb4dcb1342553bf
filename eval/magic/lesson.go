package magic

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/lessons"
)

// lesson implements %lesson: list, walk (one step per call, per-session cursor), export.
func (m *Magics) lesson(c *call) backend.ExecuteResult {
	fields := strings.Fields(c.args)
	switch {
	case len(fields) == 0:
		c.print("Lessons (%%lesson NAME shows the next step of one):\n\n%s", lessons.ListText())
		return ok()
	case fields[0] == "export":
		return m.exportLessons(c, fields[1:])
	case len(fields) > 2:
		return usage("%lesson NAME [STEP]")
	}
	name := fields[0]
	if len(fields) == 2 {
		n, err := strconv.Atoi(fields[1])
		if err != nil {
			return usage("%lesson NAME [STEP] (STEP is a number)")
		}
		if err := m.cursor.Seek(name, n); err != nil {
			return lessonErr(err)
		}
	}
	step, err := m.cursor.Next(name)
	if err != nil {
		return lessonErr(err)
	}
	var md strings.Builder
	md.WriteString(step.Markdown)
	if md.Len() > 0 {
		md.WriteString("\n\n")
	}
	fmt.Fprintf(&md, "*%s, step %d of %d.", step.Lesson.Name, step.Number, step.Total)
	switch {
	case step.Exercise:
		md.WriteString(" This is the exercise: edit the cell below, then run it.")
	case step.Check:
		md.WriteString(" The cell below checks your answer: run it.")
	case step.Code != "":
		md.WriteString(" Its code is in the cell below: run it.")
	}
	if step.Last {
		md.WriteString(" This is the last step.*")
	} else {
		fmt.Fprintf(&md, " Then `%%lesson %s` for the next step.*", step.Lesson.Name)
	}
	c.out.Display(backend.Display{Data: backend.Bundle{"text/markdown": md.String(), "text/plain": md.String()}, Metadata: map[string]any{}})
	res := ok()
	if step.Code != "" {
		res.Payload = []map[string]any{{"source": "set_next_input", "text": step.Code, "replace": false}}
	}
	return res
}

func lessonErr(err error) backend.ExecuteResult {
	if errors.Is(err, lessons.ErrNotFound) {
		return errResult("LessonNotFound", err.Error())
	}
	return errResult("LessonError", err.Error())
}

func (m *Magics) exportLessons(c *call, args []string) backend.ExecuteResult {
	force := false
	var dir string
	for _, a := range args {
		switch {
		case a == "-f" || a == "--force":
			force = true
		case dir == "":
			dir = a
		default:
			return usage("%lesson export DIR [-f]")
		}
	}
	if dir == "" {
		return usage("%lesson export DIR [-f]")
	}
	written, err := lessons.Export(m.abs(dir), force)
	if len(written) > 0 {
		c.print("Exported %d lesson notebook%s:\n  %s\n", len(written), plural(len(written)), strings.Join(written, "\n  "))
	}
	if err != nil {
		return errResult("LessonError", err.Error())
	}
	return ok()
}
