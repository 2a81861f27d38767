// W5 select: main receives 100,000 values from whichever of two producer
// channels is ready. Prints ns per select.
package main

import (
	"fmt"
	"os"
	"time"
)

const (
	n    = 100000
	half = n / 2
)

func producer(ch chan<- int, lo, hi int) {
	for v := lo; v < hi; v++ {
		ch <- v
	}
}

func main() {
	a, b := make(chan int), make(chan int)
	go producer(a, 0, half)
	go producer(b, half, n)
	var counts, sums [2]int
	t0 := time.Now()
	for k := 0; k < n; k++ {
		select {
		case v := <-a:
			counts[0]++
			sums[0] += v
		case v := <-b:
			counts[1]++
			sums[1] += v
		}
	}
	elapsed := time.Since(t0)
	want0, want1 := half*(half-1)/2, (n*(n-1)-half*(half-1))/2
	if counts != [2]int{half, half} || sums != [2]int{want0, want1} {
		fmt.Fprintf(os.Stderr, "WRONG: counts %v sums %v, expected [%d %d] [%d %d]\n", counts, sums, half, half, want0, want1)
		os.Exit(1)
	}
	fmt.Printf("RESULT {\"value\": %.3f, \"unit\": \"ns/select\"}\n", float64(elapsed.Nanoseconds())/n)
}
