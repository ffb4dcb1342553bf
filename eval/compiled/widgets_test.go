package compiled

import (
	"context"
	"errors"
	"testing"
)

func TestBuildRefusesWidgets(t *testing.T) {
	var b Builder
	src := "package main\n\nimport \"github.com/quire-go/quire/display/widget\"\n\nfunc main() { widget.NewButton(\"x\") }\n"
	if _, err := b.Build(context.Background(), map[string]string{"cell1.go": src}, Flags{}, nil); !errors.Is(err, ErrWidgets) {
		t.Fatalf("Build = %v, want ErrWidgets", err)
	}
	if err := refuseWidgets(map[string]string{"a.go": "package main\nimport \"fmt\"\n"}); err != nil {
		t.Errorf("fmt refused: %v", err)
	}
}
