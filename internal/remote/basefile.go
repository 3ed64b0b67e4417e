package remote

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"
)

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

// removeWait bounds the removals at the end of the run.
const removeWait = 30 * time.Second

// leftover is what the end of the run removes from a host: the argv
// that removes it there, and what to call it if it stays.
type leftover struct {
	host string
	argv []string
	what string
}

// removeAll runs every removal at once; notify says which host kept what
// (one gone by now), which does not change the run's outcome.
func removeAll(items []leftover, notify func(string)) {
	ctx, cancel := context.WithTimeout(context.Background(), removeWait)
	defer cancel()
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Go(func() {
			if err := run(ctx, it.argv, nil, nil); err != nil && notify != nil {
				notify(fmt.Sprintf("%s left on %s: %v", it.what, hostName(it.host), err))
			}
		})
	}
	wg.Wait()
}
