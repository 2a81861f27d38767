// W4 workers: a producer sends 200,000 ints into a channel of capacity 100,
// 8 workers square them into a results channel of capacity 100, main sums.
// Prints ns per item.
package main

import (
	"fmt"
	"os"
	"sync"
	"time"
)

const (
	n       = 200000
	workers = 8
	capa    = 100
)

func main() {
	t0 := time.Now()
	jobs, results := make(chan int64, capa), make(chan int64, capa)
	go func() {
		for i := int64(0); i < n; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			for i := range jobs {
				results <- i * i
			}
			wg.Done()
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	var total, count int64
	for v := range results {
		total += v
		count++
	}
	elapsed := time.Since(t0)
	want := int64(n-1) * n * (2*n - 1) / 6
	if count != n || total != want {
		fmt.Fprintf(os.Stderr, "WRONG: %d results summing to %d, expected %d summing to %d\n", count, total, n, want)
		os.Exit(1)
	}
	fmt.Printf("RESULT {\"value\": %.3f, \"unit\": \"ns/item\"}\n", float64(elapsed.Nanoseconds())/n)
}
