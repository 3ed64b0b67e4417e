package remote

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"
)

// baseHost is a host that got the --basefile files.
type baseHost struct {
	name string
	l    Launcher
}

// SendBase copies the --basefile files to the host, once, before its
// first job (GNU parallel's --basefile), as --transfer copies a job's.
func (f *Files) SendBase(ctx context.Context, l Launcher, host string) error {
	for _, path := range f.Base {
		in, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("--basefile to %s: %w", host, err)
		}
		err = run(ctx, l.Command(0, "sh", "-c", receiveScript, "sh", path), in, nil)
		in.Close()
		if err != nil {
			return fmt.Errorf("--basefile %s to host %s: %w", path, host, err)
		}
	}
	return nil
}

// sendBaseAll sends the --basefile files to every host that was reached
// (errs holds the ssh hosts that were not), all at once; the error of
// logins[i] is at i. Local slots (":") need no copy.
func sendBaseAll(ctx context.Context, f Files, logins []Login, launchers []Launcher, errs map[*SSH]error) []error {
	out := make([]error, len(logins))
	if len(f.Base) == 0 {
		return out
	}
	var wg sync.WaitGroup
	for i, l := range launchers {
		if s, ok := l.(*SSH); l == nil || ok && errs[s] != nil {
			continue
		}
		wg.Go(func() { out[i] = f.SendBase(ctx, l, logins[i].Raw) })
	}
	wg.Wait()
	return out
}

// removeBaseWait bounds the --cleanup of the --basefile files at the end.
const removeBaseWait = 30 * time.Second

// removeBaseAll removes the --basefile files from the hosts that got
// them, all at once; notify says which host kept them (one gone by now),
// which does not change the run's outcome.
func removeBaseAll(f Files, hosts []baseHost, notify func(string)) {
	ctx, cancel := context.WithTimeout(context.Background(), removeBaseWait)
	defer cancel()
	var wg sync.WaitGroup
	for _, h := range hosts {
		argv := h.l.Command(0, append([]string{"rm", "-f", "--"}, f.Base...)...)
		wg.Go(func() {
			if err := run(ctx, argv, nil, nil); err != nil && notify != nil {
				notify(fmt.Sprintf("--cleanup: the --basefile files are left on host %s: %v", h.name, err))
			}
		})
	}
	wg.Wait()
}
