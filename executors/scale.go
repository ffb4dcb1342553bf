package executors

import (
	"os"
	"strconv"
	"sync"
	"time"
)

// ScaleEnv names the environment variable that shrinks the built-in sleeps (Sleep, Task.Sleep,
// coroutine sleeps) for tests: QUIRE_LESSON_SCALE=0.1 makes a 2 s sleep last 200 ms. Learners
// never set it, so lessons run at full length for them; CI sets it to keep the lessons fast
// while checking the same ratios.
const ScaleEnv = "QUIRE_LESSON_SCALE"

var scaleOnce = sync.OnceValue(func() float64 {
	s, err := strconv.ParseFloat(os.Getenv(ScaleEnv), 64)
	if err != nil || s <= 0 || s > 1 {
		return 1
	}
	return s
})

// Scale returns the factor applied to built-in sleeps: 1 unless QUIRE_LESSON_SCALE is set to a
// number in (0, 1].
func Scale() float64 { return scaleOnce() }

// Scaled returns d multiplied by Scale, for checks that compare a measured time with an ideal.
func Scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * Scale())
}
