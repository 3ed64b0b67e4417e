package report

import (
	"strings"

	"github.com/parrun/parrun/internal/job"
)

// OpenRunJoblog opens the joblog of a run as --joblog SPEC names it
// ("+FILE" appends). With resume, it first reads the joblog and returns
// the filter --resume needs: skip reports the jobs the joblog shows as
// finished — or, with rerunFailed (--resume-failed), as succeeded — which
// the run need not start again; the joblog is then appended to. Without
// resume, skip is nil. The caller closes the Joblog.
func OpenRunJoblog(spec string, resume, rerunFailed bool) (jl *Joblog, skip func(*job.Job) bool, err error) {
	path, appendTo := strings.CutPrefix(spec, "+")
	if resume {
		done, err := ReadJoblog(path)
		if err != nil {
			return nil, nil, err
		}
		skip = func(j *job.Job) bool {
			e, ok := done[j.Seq]
			return ok && e.Finished(!rerunFailed)
		}
		appendTo = true
	}
	jl, err = OpenJoblog(path, appendTo)
	if err != nil {
		return nil, nil, err
	}
	return jl, skip, nil
}
