// W8 load generator: -conns connections, each sending -msgs messages of -size
// bytes and waiting for the full echo of each before sending the next. All
// connections are dialed first; the clock runs from the moment they all start
// sending until the last echo. Every echoed byte is checked. Prints
// RESULT {"value": messages per second, ...}; exits 1 on any error.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7000", "server address")
	conns := flag.Int("conns", 50, "connections")
	msgs := flag.Int("msgs", 2000, "request/response messages per connection")
	size := flag.Int("size", 64, "message size in bytes")
	timeout := flag.Duration("timeout", 120*time.Second, "deadline for the whole run")
	flag.Parse()

	cs := make([]net.Conn, *conns)
	for i := range cs {
		c, err := net.DialTimeout("tcp", *addr, 10*time.Second)
		if err != nil {
			fmt.Fprintf(os.Stderr, "dial %s: %v\n", *addr, err)
			os.Exit(1)
		}
		cs[i] = c
	}
	deadline := time.Now().Add(*timeout)
	start := make(chan struct{})
	errs := make(chan error, *conns)
	lat := make([][]time.Duration, *conns)
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func(id int, c net.Conn) {
			defer wg.Done()
			defer c.Close()
			c.SetDeadline(deadline)
			req := make([]byte, *size)
			resp := make([]byte, *size)
			l := make([]time.Duration, 0, *msgs)
			<-start
			for m := 0; m < *msgs; m++ {
				for j := range req {
					req[j] = byte(id*131 + m*7 + j)
				}
				t := time.Now()
				if _, err := c.Write(req); err != nil {
					errs <- fmt.Errorf("conn %d msg %d: write: %v", id, m, err)
					return
				}
				if _, err := io.ReadFull(c, resp); err != nil {
					errs <- fmt.Errorf("conn %d msg %d: read: %v", id, m, err)
					return
				}
				l = append(l, time.Since(t))
				if !bytes.Equal(req, resp) {
					errs <- fmt.Errorf("conn %d msg %d: echo differs", id, m)
					return
				}
			}
			lat[id] = l
		}(i, c)
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	elapsed := time.Since(t0)
	close(errs)
	failed := false
	for err := range errs {
		fmt.Fprintln(os.Stderr, "WRONG:", err)
		failed = true
	}
	if failed {
		os.Exit(1)
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	total := *conns * *msgs
	if len(all) != total {
		fmt.Fprintf(os.Stderr, "WRONG: %d echoes, expected %d\n", len(all), total)
		os.Exit(1)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	p := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))].Nanoseconds()) / 1e3 }
	fmt.Printf("RESULT {\"value\": %.1f, \"unit\": \"msgs/s\", \"msgs\": %d, \"seconds\": %.4f, \"p50_us\": %.1f, \"p99_us\": %.1f}\n",
		float64(total)/elapsed.Seconds(), total, elapsed.Seconds(), p(0.50), p(0.99))
}
