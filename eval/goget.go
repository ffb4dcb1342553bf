package eval

import (
	"context"
	"errors"
)

func (s *Supervisor) goGet(ctx context.Context, modules ...string) ([]string, error) {
	return nil, errors.New("%go get is not implemented yet")
}
