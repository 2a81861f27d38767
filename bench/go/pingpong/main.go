// W2 ping-pong: two goroutines bounce a value over two unbuffered channels,
// 100,000 round trips. Prints ns per round trip.
package main

import (
	"fmt"
	"os"
	"time"
)

const n = 100000

func main() {
	a, b := make(chan int), make(chan int)
	go func() {
		for i := 0; i < n; i++ {
			v := <-a
			b <- v + 1
		}
	}()
	total := 0
	t0 := time.Now()
	for i := 0; i < n; i++ {
		a <- i
		total += <-b
	}
	elapsed := time.Since(t0)
	if want := n*(n-1)/2 + n; total != want {
		fmt.Fprintf(os.Stderr, "WRONG: sum of replies %d, expected %d\n", total, want)
		os.Exit(1)
	}
	fmt.Printf("RESULT {\"value\": %.3f, \"unit\": \"ns/round trip\"}\n", float64(elapsed.Nanoseconds())/n)
}
