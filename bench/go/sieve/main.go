// W3 sieve: Go's concurrent prime sieve, the first 1,000 primes. Prints ms total.
package main

import (
	"fmt"
	"os"
	"time"
)

const nprimes = 1000

func generate(ch chan<- int) {
	for i := 2; ; i++ {
		ch <- i
	}
}

func filter(in <-chan int, out chan<- int, prime int) {
	for {
		i := <-in
		if i%prime != 0 {
			out <- i
		}
	}
}

func main() {
	t0 := time.Now()
	ch := make(chan int)
	go generate(ch)
	total, prime := 0, 0
	for i := 0; i < nprimes; i++ {
		prime = <-ch
		total += prime
		ch1 := make(chan int)
		go filter(ch, ch1, prime)
		ch = ch1
	}
	elapsed := time.Since(t0)
	if prime != 7919 || total != 3682913 {
		fmt.Fprintf(os.Stderr, "WRONG: prime #%d is %d (sum %d), expected 7919 (sum 3682913)\n", nprimes, prime, total)
		os.Exit(1)
	}
	fmt.Printf("RESULT {\"value\": %.3f, \"unit\": \"ms\", \"last_prime\": %d}\n", float64(elapsed.Nanoseconds())/1e6, prime)
}
