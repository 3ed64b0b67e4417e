package sched

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/parrun/parrun/internal/job"
)

// A pool runs the jobs the dispatcher hands it, each on a slot of its own.
// launch is called by the dispatcher only; wait once, after the last
// launch, and returns when every launched job has been handed to the
// collector and every goroutine of the pool has exited.
type pool interface {
	// launch hands one job to a runner, waiting for a free one. It returns
	// false, having started nothing, when no job may start any more.
	launch(it item) bool
	wait()
}

// newPool returns the pool of the run's mode: a fixed pool of Slots
// runners (thread and process mode), or a goroutine per job (coroutine).
func newPool(r *run) pool {
	if r.opts.Mode == ModeCoroutine {
		return newPerJobPool(r)
	}
	return newFixedPool(r)
}

// fixedPool is Slots runner goroutines, one per slot, each running one job
// after another. A job goes to the lowest idle slot (freeSlots), as GNU
// parallel gives it the lowest free job slot. The pool owns the host-down
// hand-back of scale-out: a runner whose attempt comes back with
// ErrHostDown hands its job to another and retires; a runner that goes
// idle takes handed-back jobs before it takes new ones. When the last
// runner retires there is nowhere to hand jobs to: they fail with the
// host's error and nothing more starts (ErrNoHosts).
type fixedPool struct {
	r    *run
	idle *freeSlots
	in   []chan item // in[slot-1]: the job launched on that slot
	// started[slot-1] starts the slot's runner on its first job: a -j
	// that moves (Options.Level) has Slots as a ceiling it may never use.
	started []sync.Once
	// inflight counts launched jobs not yet finished: in is closed only
	// once it is zero, so that a job handed back late still finds a runner.
	inflight sync.WaitGroup
	runners  sync.WaitGroup

	// mu orders going idle against handing back: a runner goes idle only
	// when back is empty, and a job is put in back only when no runner is
	// idle, so no handed-back job waits while a runner idles.
	mu   sync.Mutex
	back []item // handed back, waiting for a runner
	live int    // runners not retired
}

func newFixedPool(r *run) *fixedPool {
	n := r.opts.Slots
	p := &fixedPool{r: r, idle: newFreeSlots(n), in: make([]chan item, n), started: make([]sync.Once, n), live: n}
	for slot := 1; slot <= n; slot++ {
		p.in[slot-1] = make(chan item, 1)
	}
	return p
}

// send gives a job to the runner of slot, starting the runner first if
// it has not run yet. Every send happens before its job's inflight.Done,
// so before wait waits for the runners.
func (p *fixedPool) send(slot int, it item) {
	p.started[slot-1].Do(func() { p.runners.Go(func() { p.runner(slot) }) })
	p.in[slot-1] <- it
}

func (p *fixedPool) launch(it item) bool {
	slot, ok := p.idle.take(p.r.startCtx)
	if !ok {
		return false
	}
	p.inflight.Add(1)
	p.send(slot, it)
	return true
}

func (p *fixedPool) wait() {
	p.inflight.Wait()
	for _, in := range p.in {
		close(in)
	}
	p.runners.Wait()
}

// runner runs the jobs of one slot until in is closed, its host goes, or
// its worker cannot start while other slots' can.
func (p *fixedPool) runner(slot int) {
	for it := range p.in[slot-1] {
		for {
			if !p.run(it, slot) {
				return
			}
			var ok bool
			if it, ok = p.goIdle(slot); !ok {
				break
			}
		}
	}
}

// goIdle returns a handed-back job for the runner of slot, or else puts
// the slot back among the idle ones.
func (p *fixedPool) goIdle(slot int) (item, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.back) > 0 {
		it := p.back[0]
		p.back = p.back[1:]
		return it, true
	}
	p.idle.put(slot)
	return item{}, false
}

// run runs one job in the slot and reports whether the slot goes on.
func (p *fixedPool) run(it item, slot int) bool {
	w := waiter{r: p.r}
	for {
		d := p.r.runJob(it.j, slot, p.r.noticeLimit)
		if d.Result == nil || p.r.ctx.Err() != nil || !slotGone(d.Result.Err) {
			p.r.finish(it, d)
			p.inflight.Done()
			return true
		}
		job.Discard(d.Output)
		d.Output = nil
		if errors.Is(d.Result.Err, ErrHostDown) {
			p.retire(it, d)
			return false
		}
		// ErrSlotUnavailable: out of processes or descriptors. Fewer
		// workers from now on, if another slot can take the job; the last
		// one waits for what is short to come back, as any job does.
		p.r.noticeLimit(d.Result.Err)
		if p.handBack(it) {
			return false
		}
		if err := w.wait(d.Result.Err); err != nil {
			d.Result.Err = err
			p.r.finish(it, d)
			p.inflight.Done()
			return true
		}
	}
}

// handBack gives a job to the other runners and retires this one, unless
// it is the last.
func (p *fixedPool) handBack(it item) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live <= 1 {
		return false
	}
	p.live--
	p.giveLocked(it)
	return true
}

// giveLocked hands a job to the lowest idle runner, or queues it for the
// next runner that goes idle. p.mu is held.
func (p *fixedPool) giveLocked(it item) {
	if slot, ok := p.idle.tryTake(); ok {
		p.send(slot, it)
		return
	}
	p.back = append(p.back, it)
}

// retire takes a runner whose host went down out of the pool, handing its
// job to the others; the last one fails its job and every handed-back one.
func (p *fixedPool) retire(it item, d *job.Done) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live--
	if p.live > 0 {
		p.giveLocked(it)
		return
	}
	p.r.stopStarting(ErrNoHosts)
	p.r.finish(it, d)
	p.inflight.Done()
	for _, b := range p.back {
		p.r.finish(b, &job.Done{Job: b.j, Result: notRun(d.Result.Err)})
		p.inflight.Done()
	}
	p.back = nil
}

// perJobPool runs each job on a goroutine of its own (coroutine mode), at
// most Concurrency at once: a free slot number is the semaphore. It owns
// the concurrency limit's back-off: an attempt that hits a process or file
// limit takes a slot out of circulation for good (down to minConcurrency),
// so fewer jobs run at once from then on (SPEC §3). It also owns what -j
// means in this mode: the OS threads that run Go code (GOMAXPROCS), set
// for the pool's life.
type perJobPool struct {
	r       *run
	free    *freeSlots
	jobs    sync.WaitGroup
	taken   atomic.Int64 // slots taken out of circulation
	restore int          // GOMAXPROCS before the pool
}

func newPerJobPool(r *run) *perJobPool {
	p := &perJobPool{r: r, free: newFreeSlots(r.parallel())}
	p.restore = runtime.GOMAXPROCS(r.opts.Slots)
	return p
}

func (p *perJobPool) launch(it item) bool {
	s, ok := p.free.take(p.r.startCtx)
	if !ok {
		return false
	}
	p.jobs.Go(func() {
		p.r.finish(it, p.r.runJob(it.j, s, p.shrink))
		p.free.put(s)
	})
	return true
}

func (p *perJobPool) wait() {
	p.jobs.Wait()
	runtime.GOMAXPROCS(p.restore)
}

// shrink is called when an attempt hit a resource limit: it says so (once)
// and takes one free slot out of circulation, if one is free and the limit
// is above minConcurrency.
func (p *perJobPool) shrink(err error) {
	p.r.noticeLimit(err)
	if p.taken.Add(1) > int64(p.r.parallel()-minConcurrency) {
		p.taken.Add(-1)
		return
	}
	if !p.free.retireHighest() {
		p.taken.Add(-1)
	}
}
