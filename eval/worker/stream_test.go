package worker

import (
	"os"
	"testing"
)

func BenchmarkOutStreamWrite(b *testing.B) {
	f, err := os.Create(os.DevNull)
	if err != nil {
		b.Fatal(err)
	}
	s, err := newOutStream(f, "x")
	if err != nil {
		b.Fatal(err)
	}
	line := []byte("12345\n")
	for i := 0; i < b.N; i++ {
		s.Write(line)
	}
}

func BenchmarkFionread(b *testing.B) {
	s, _ := newOutStream(os.Stdout, "x")
	for i := 0; i < b.N; i++ {
		fionread(s.pr)
	}
}
