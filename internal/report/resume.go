package report

import (
	"io"
	"strings"

	"github.com/parrun/parrun/internal/job"
)

// OpenRunJoblog opens the joblog of a run as --joblog SPEC names it
// ("+FILE" appends). With resume, it first reads the joblog and returns
// the filter --resume needs: skip reports the jobs the joblog shows as
// finished — or, with rerunFailed (--resume-failed), as succeeded — which
// the run need not start again; the joblog is then appended to. Without
// resume, skip is nil. SPEC "-" is stdout, GNU's --joblog -, where there
// is nothing to resume from. The caller closes the Joblog.
func OpenRunJoblog(spec string, resume, rerunFailed bool, stdout io.Writer) (jl *Joblog, skip func(*job.Job) bool, err error) {
	if spec == "-" && !resume {
		jl, err = StdoutJoblog(stdout)
		return jl, nil, err
	}
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
