// W6 memory: 100,000 goroutines each parked on a receive from its own channel.
// Prints RSS growth per goroutine in bytes (VmRSS after runtime.GC, before and after).
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

const n = 100000

func rss() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "VmRSS:") {
			kb, err := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			if err != nil {
				panic(err)
			}
			return kb * 1024
		}
	}
	panic("no VmRSS in /proc/self/status")
}

func main() {
	runtime.GC()
	before := rss()
	var wg sync.WaitGroup
	wg.Add(n)
	chans := make([]chan int, n)
	for i := range chans {
		chans[i] = make(chan int)
		go func(c chan int) {
			wg.Done()
			<-c
		}(chans[i])
	}
	wg.Wait()
	runtime.GC()
	after := rss()
	if live := runtime.NumGoroutine() - 1; live != n {
		fmt.Fprintf(os.Stderr, "WRONG: %d goroutines alive, expected %d\n", live, n)
		os.Exit(1)
	}
	fmt.Printf("RESULT {\"value\": %.1f, \"unit\": \"bytes/goroutine\", \"rss_before\": %d, \"rss_after\": %d}\n",
		float64(after-before)/n, before, after)
	runtime.KeepAlive(chans)
}
