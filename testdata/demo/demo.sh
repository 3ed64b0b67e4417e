#!/bin/sh
# make demo: parrun on the shipped job list testdata/demo/photos.txt.
set -e
P=${1:-bin/parrun}
D=$(dirname "$0")
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "parrun -k echo 'file {} → dir {//}, name {/.}, ext-less {.}' :::: photos.txt"
"$P" -k echo 'file {} → dir {//}, name {/.}, ext-less {.}' :::: "$D/photos.txt"

say "parrun -k --tag 'echo job {#} on slot {%}; sleep 0.{#}' :::: photos.txt   # grouped, tagged"
"$P" -k --tag 'echo job {#} on slot {%}; sleep 0.{#}' :::: "$D/photos.txt"

say "parrun -k echo {1}x{2} ::: 1 2 3 ::: a b                      # cartesian product"
"$P" -k echo {1}x{2} ::: 1 2 3 ::: a b

say "parrun -k echo {1}={2} ::: a b c :::+ 1 2 3                   # linked"
"$P" -k echo {1}={2} ::: a b c :::+ 1 2 3

say "parrun --dry-run rm {} :::: photos.txt                        # quoting: nothing runs"
"$P" -k --dry-run rm {} :::: "$D/photos.txt"

say "printf '{\"cmd\":\"echo from json\"}\\n{\"argv\":[\"printf\",\"%%s\\\\n\",\"argv, no shell\"]}\\n' | parrun -k --jsonl"
printf '{"cmd":"echo from json"}\n{"argv":["printf","%%s\\n","argv, no shell"]}\n' | "$P" -k --jsonl

say "parrun 'exit {}' ::: 0 1 2 ; echo \"exit status \$?\"        # status = failed jobs"
"$P" 'exit {}' ::: 0 1 2 || echo "exit status $?"
