// W9 HTTP hello server: listens on 127.0.0.1 (ephemeral port), prints "PORT n",
// and serves every connection in its own goroutine until the harness kills it.
//
// A minimal hand-written HTTP/1.1 responder, not net/http, so that it does the same
// work as the Python servers of bench/workloads/w9_http.py: keep-alive, every
// complete request head (ending in a blank line) in the buffer is answered, in
// order, in one write; a head that is not "GET / ..." or larger than 8 KiB gets 400
// and the connection is closed; end of stream closes it.
package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
)

const maxHead = 8192

var (
	okResp  = []byte("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!")
	badResp = []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	endHead = []byte("\r\n\r\n")
	getRoot = []byte("GET / ")
)

func handle(c net.Conn) {
	defer c.Close()
	rd := make([]byte, 65536)
	var buf, out []byte
	for {
		n, err := c.Read(rd)
		if n > 0 {
			buf = append(buf, rd[:n]...)
			out = out[:0]
			start := 0
			keep := true
			for {
				i := bytes.Index(buf[start:], endHead)
				if i < 0 {
					break
				}
				if !bytes.HasPrefix(buf[start:], getRoot) {
					keep = false
					break
				}
				out = append(out, okResp...)
				start += i + len(endHead)
			}
			buf = append(buf[:0], buf[start:]...)
			if len(buf) > maxHead {
				keep = false
			}
			if !keep {
				out = append(out, badResp...)
			}
			if len(out) > 0 {
				if _, werr := c.Write(out); werr != nil {
					return
				}
			}
			if !keep {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("PORT %d\n", ln.Addr().(*net.TCPAddr).Port)
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		go handle(c)
	}
}
