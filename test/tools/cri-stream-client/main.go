// cri-stream-client drives a CRI streaming server (the URL an Exec, Attach or PortForward RPC
// returns) with client-go's own executors and port-forward dialers, the code kubectl, crictl and
// the kubelet's API-server path run. Berth's integration tests build it (scripts/install-test-clients.sh)
// so that what is tested is the server against a client nobody here wrote.
//
//	cri-stream-client exec --url URL [--transport spdy|websocket|fallback] [--ws-protocol P] [--spdy-protocol P]
//	    [--stdin] [--tty] [--no-stdout] [--stderr] [--sizes-fd N]
//	  Streams this process's stdin/stdout/stderr; exits with the remote command's exit code. With
//	  --sizes-fd, each line "ROWS COLS" read from that fd is a terminal resize; the size queue
//	  starts with --size (default "24 80") when --tty.
//	cri-stream-client portforward --url URL [--transport spdy|websocket|fallback] --port REMOTE...
//	  Listens on 127.0.0.1 (ports chosen by the OS), prints "ready LOCAL:REMOTE ..." and forwards
//	  until its stdin closes.
//
// Failures other than a remote exit code print "cri-stream-client: error: ..." and exit 125.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"
	"k8s.io/client-go/util/exec"
	streamhttp "k8s.io/streaming/pkg/httpstream"
)

func fail(err error) {
	fmt.Fprintf(os.Stderr, "cri-stream-client: error: %v\n", err)
	os.Exit(125)
}

// shouldFallback is kubectl's rule: fall back to SPDY when the WebSocket upgrade is refused. Since
// v0.37 client-go's WebSocket transport returns k8s.io/streaming's UpgradeFailureError.
func shouldFallback(err error) bool {
	return streamhttp.IsUpgradeFailure(err) || streamhttp.IsHTTPSProxyError(err)
}

func config(u *url.URL) *rest.Config {
	return &rest.Config{Host: u.Scheme + "://" + u.Host}
}

type sizeQueue struct {
	ch chan remotecommand.TerminalSize
}

func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	s, ok := <-q.ch
	if !ok {
		return nil
	}
	return &s
}

func newSizeQueue(first string, fd int) *sizeQueue {
	q := &sizeQueue{ch: make(chan remotecommand.TerminalSize, 16)}
	push := func(line string) {
		var rows, cols uint16
		if _, err := fmt.Sscanf(line, "%d %d", &rows, &cols); err == nil {
			q.ch <- remotecommand.TerminalSize{Width: cols, Height: rows}
		}
	}
	push(first)
	if fd > 0 {
		go func() {
			sc := bufio.NewScanner(os.NewFile(uintptr(fd), "sizes"))
			for sc.Scan() {
				push(sc.Text())
			}
		}()
	}
	return q
}

func execCmd(args []string) {
	fs := flag.NewFlagSet("exec", flag.ExitOnError)
	rawURL := fs.String("url", "", "streaming URL from Exec or Attach")
	transport := fs.String("transport", "spdy", "spdy, websocket or fallback (websocket, then SPDY)")
	wsProtocol := fs.String("ws-protocol", "", "offer only this WebSocket subprotocol (default: client-go's, v5.channel.k8s.io)")
	spdyProtocol := fs.String("spdy-protocol", "", "offer only this SPDY subprotocol (default: client-go's, v5 down to channel.k8s.io)")
	stdin := fs.Bool("stdin", false, "send this process's stdin")
	tty := fs.Bool("tty", false, "ask for a terminal")
	noStdout := fs.Bool("no-stdout", false, "do not ask for stdout")
	stderr := fs.Bool("stderr", false, "ask for stderr")
	size := fs.String("size", "24 80", "first terminal size, ROWS COLS")
	sizesFd := fs.Int("sizes-fd", 0, "read further terminal sizes (lines ROWS COLS) from this fd")
	_ = fs.Parse(args)
	u, err := url.Parse(*rawURL)
	if err != nil || *rawURL == "" {
		fail(fmt.Errorf("--url: %q is no URL", *rawURL))
	}
	var ex remotecommand.Executor
	spdyExecutor := func() (remotecommand.Executor, error) {
		if *spdyProtocol == "" {
			return remotecommand.NewSPDYExecutor(config(u), "POST", u)
		}
		tr, upgrader, err := spdy.RoundTripperFor(config(u))
		if err != nil {
			return nil, err
		}
		return remotecommand.NewSPDYExecutorForProtocols(tr, upgrader, "POST", u, *spdyProtocol)
	}
	websocket := func() (remotecommand.Executor, error) {
		if *wsProtocol != "" {
			return remotecommand.NewWebSocketExecutorForProtocols(config(u), "GET", u.String(), *wsProtocol)
		}
		return remotecommand.NewWebSocketExecutor(config(u), "GET", u.String())
	}
	switch *transport {
	case "spdy":
		ex, err = spdyExecutor()
	case "websocket":
		ex, err = websocket()
	case "fallback":
		var ws, sp remotecommand.Executor
		if ws, err = websocket(); err == nil {
			if sp, err = spdyExecutor(); err == nil {
				ex, err = remotecommand.NewFallbackExecutor(ws, sp, shouldFallback)
			}
		}
	default:
		err = fmt.Errorf("--transport %q: use spdy, websocket or fallback", *transport)
	}
	if err != nil {
		fail(err)
	}
	opts := remotecommand.StreamOptions{Tty: *tty}
	if *stdin {
		opts.Stdin = os.Stdin
	}
	if !*noStdout {
		opts.Stdout = os.Stdout
	}
	if *stderr {
		opts.Stderr = os.Stderr
	}
	if *tty {
		opts.TerminalSizeQueue = newSizeQueue(*size, *sizesFd)
	}
	err = ex.Stream(opts)
	var code exec.CodeExitError
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &code):
		os.Exit(code.Code)
	default:
		fail(err)
	}
}

func portForwardCmd(args []string) {
	fs := flag.NewFlagSet("portforward", flag.ExitOnError)
	rawURL := fs.String("url", "", "streaming URL from PortForward")
	transport := fs.String("transport", "spdy", "spdy, websocket (SPDY tunnelled in WebSocket) or fallback")
	var ports multi
	fs.Var(&ports, "port", "a port in the pod (repeatable)")
	_ = fs.Parse(args)
	u, err := url.Parse(*rawURL)
	if err != nil || *rawURL == "" {
		fail(fmt.Errorf("--url: %q is no URL", *rawURL))
	}
	tr, upgrader, err := spdy.RoundTripperFor(config(u))
	if err != nil {
		fail(err)
	}
	var dialer httpstream.Dialer = spdy.NewDialer(upgrader, &http.Client{Transport: tr}, "POST", u)
	if *transport != "spdy" {
		ws, err := portforward.NewSPDYOverWebsocketDialer(u, config(u))
		if err != nil {
			fail(err)
		}
		if *transport == "websocket" {
			dialer = ws
		} else {
			dialer = portforward.NewFallbackDialer(ws, dialer, shouldFallback)
		}
	}
	specs := make([]string, len(ports))
	for i, p := range ports {
		specs[i] = "0:" + p
	}
	stop := make(chan struct{})
	ready := make(chan struct{})
	pf, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, specs, stop, ready, io.Discard, os.Stderr)
	if err != nil {
		fail(err)
	}
	done := make(chan error, 1)
	go func() { done <- pf.ForwardPorts() }()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stop)
	}()
	select {
	case err := <-done:
		fail(fmt.Errorf("port-forward ended before it was ready: %v", err))
	case <-ready:
	}
	got, err := pf.GetPorts()
	if err != nil {
		fail(err)
	}
	line := make([]string, len(got))
	for i, p := range got {
		line[i] = fmt.Sprintf("%d:%d", p.Local, p.Remote)
	}
	fmt.Printf("ready %s\n", strings.Join(line, " "))
	if err := <-done; err != nil {
		fail(err)
	}
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: cri-stream-client exec|portforward --url URL ..."))
	}
	switch os.Args[1] {
	case "exec":
		execCmd(os.Args[2:])
	case "portforward":
		portForwardCmd(os.Args[2:])
	default:
		fail(fmt.Errorf("unknown command %q: use exec or portforward", os.Args[1]))
	}
}
