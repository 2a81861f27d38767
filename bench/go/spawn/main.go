// W1 spawn: start 100,000 goroutines that each call wg.Done, wait for all.
// Prints ns per goroutine. Run with GOMAXPROCS=1 by the harness.
package main

import (
	"fmt"
	"sync"
	"time"
)

const n = 100000

func main() {
	var wg sync.WaitGroup
	wg.Add(n)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		go wg.Done()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	fmt.Printf("RESULT {\"value\": %.3f, \"unit\": \"ns/goroutine\"}\n", float64(elapsed.Nanoseconds())/n)
}
