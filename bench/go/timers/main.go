// W7 timers: 100,000 goroutines each sleep a random 0-100 ms (seed 42), wait
// for all. Prints wall time minus 100 ms, in ms.
package main

import (
	"fmt"
	"math/rand"
	"os"
	"sync"
	"time"
)

const (
	n        = 100000
	maxDelay = 100 * time.Millisecond
)

func main() {
	rng := rand.New(rand.NewSource(42))
	delays := make([]time.Duration, n)
	longest := time.Duration(0)
	for i := range delays {
		delays[i] = time.Duration(rng.Float64() * float64(maxDelay))
		if delays[i] > longest {
			longest = delays[i]
		}
	}
	var wg sync.WaitGroup
	wg.Add(n)
	t0 := time.Now()
	for _, d := range delays {
		go func(d time.Duration) {
			time.Sleep(d)
			wg.Done()
		}(d)
	}
	wg.Wait()
	elapsed := time.Since(t0)
	if elapsed < longest {
		fmt.Fprintf(os.Stderr, "WRONG: all done after %v, before the longest sleep %v\n", elapsed, longest)
		os.Exit(1)
	}
	ms := float64(elapsed.Nanoseconds()) / 1e6
	fmt.Printf("RESULT {\"value\": %.3f, \"unit\": \"ms over 100 ms\", \"wall_ms\": %.3f}\n", ms-100, ms)
}
