//go:build unix

package exec

import (
	"context"
	"errors"
	"syscall"
	"time"
)

// terminate runs the termination sequence against the process group pgid:
// each step's signal, then up to its wait for the job to end; then SIGKILL
// to the whole group. The job has ended when exited is closed (its leader
// reaped, its output pipes at EOF): the rest of the group, if any, are
// orphans of a cancelled job and are killed at once rather than waited for
// (checking a group for survivors cannot tell a zombie from a live process,
// and reaping orphans is up to init, which may be slow). ctx is the job's
// own context, which says why (a time-out, or the run's cause); outer is
// the run's, whose cause may escalate to SIGKILL now even while a time-out
// runs the sequence. stopped says the group may be stopped (SIGSTOP).
func terminate(ctx, outer context.Context, pgid int, s *Spec, exited <-chan struct{}, stopped bool) {
	steps := s.Terminate
	if len(steps) == 0 {
		steps = []Step{{Signal: syscall.SIGTERM, Wait: DefaultKillAfter}}
	}
	var sg Signaler
	first := steps[0].Signal
	if errors.As(context.Cause(ctx), &sg) && sg.Signal() != 0 {
		first = sg.Signal()
	}
	for i, st := range steps {
		sig := st.Signal
		if i == 0 {
			sig = first
		}
		if syscall.Kill(-pgid, sig) != nil {
			return // no process of the group is left
		}
		if stopped {
			syscall.Kill(-pgid, syscall.SIGCONT) // a stopped group acts on no signal but SIGKILL
		}
		if !waitStep(st.Wait, exited, outer) {
			break
		}
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
}

// waitStep waits up to d for the job to end. It returns false when the
// sequence should skip to SIGKILL: the job ended, or outer's cause
// escalated. outer may be cancelled only during the wait (a time-out
// started the sequence), so its cause is looked at again when it is done.
func waitStep(d time.Duration, exited <-chan struct{}, outer context.Context) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	esc := Escalation(outer)
	outerDone := outer.Done()
	if esc != nil {
		outerDone = nil
	}
	for {
		select {
		case <-t.C:
			return true
		case <-exited:
			return false
		case <-esc:
			return false
		case <-outerDone:
			outerDone, esc = nil, Escalation(outer)
		}
	}
}
