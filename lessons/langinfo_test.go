package lessons_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/quire-go/quire/eval"
	"github.com/quire-go/quire/lessons/internal/author"
)

// TestLanguageInfoIsTheKernels: a lesson's language_info must be what the kernel reports, or
// JupyterLab rewrites it on open and marks the lesson modified.
func TestLanguageInfoIsTheKernels(t *testing.T) {
	b, err := json.Marshal((&eval.Supervisor{}).Info().Language)
	if err != nil {
		t.Fatal(err)
	}
	var kernel map[string]any
	if err := json.Unmarshal(b, &kernel); err != nil {
		t.Fatal(err)
	}
	ours, _ := json.Marshal(author.LanguageInfo)
	var lesson map[string]any
	if err := json.Unmarshal(ours, &lesson); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lesson, kernel) {
		t.Errorf("lessons' language_info %v, the kernel's %v", lesson, kernel)
	}
}
