package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// handleSignals returns a context that the first SIGINT, SIGTERM, SIGHUP
// or SIGQUIT cancels with an interrupted cause: the scheduler starts
// nothing new and the cause's signal goes to every running job's process
// group (exec.Signaler). A second such signal escalates the cause: SIGKILL
// now (exec.Escalator). SIGPIPE is caught so that a closed stdout is a
// write error parrun handles (stop, kill jobs, exit 141) rather than an
// instant death that would leave jobs running; jobs still get the default
// SIGPIPE behaviour. stop releases the signals and waits for the handler.
//
// This is the one place the escalation is owned: everything below reads
// it from the context's cause.
func handleSignals(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE)
	escalate := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		n := 0
		for s := range sigc {
			sig := s.(syscall.Signal)
			if sig == syscall.SIGPIPE {
				continue
			}
			n++
			switch n {
			case 1:
				cancel(interrupted{sig: sig, escalate: escalate})
			case 2:
				close(escalate)
			}
		}
	})
	return ctx, func() {
		signal.Stop(sigc)
		close(sigc)
		wg.Wait()
		cancel(nil)
	}
}
