// Package ipc is process mode's protocol and both of its ends (SPEC §3,
// §8): the coordinator's Worker, which starts a worker process through a
// launcher, sends it jobs and turns its frames back into output and
// exec.Results, and the worker's Serve loop, which runs those jobs with
// exec.Runner exactly as thread mode does.
//
// The protocol knows nothing about pipes: frames flow over the worker's
// stdin and stdout, so any launcher that connects those — a local re-exec,
// ssh, kubectl exec -i, srun — reaches a worker.
//
// # Frames
//
// Every message is one frame:
//
//	+----------------+--------+-------------------+
//	| length: uint32 | kind:  | payload: length   |
//	| big-endian     | 1 byte | bytes             |
//	+----------------+--------+-------------------+
//
// length counts the payload only and is at most MaxFrame (1 MiB). Shutdown
// has an empty payload; every other kind has a non-empty one. A reader
// rejects, from the 5-byte header alone and before allocating anything, a
// length over MaxFrame, a kind it does not know, and a length of 0 where a
// payload is needed (or not 0 for Shutdown). The first byte of a valid
// length is always 0, so any text on the stream — a login banner, a shell
// error — fails at its first header, and the error quotes its first bytes.
//
// End of stream: EOF exactly between two frames is a clean end (io.EOF);
// EOF inside a header or a payload is io.ErrUnexpectedEOF.
//
// # Payload encoding
//
// Payloads are built from four field types:
//
//	uvarint  unsigned LEB128, as encoding/binary.AppendUvarint (1–10 bytes)
//	varint   zig-zag signed, as encoding/binary.AppendVarint
//	byte     one byte
//	string   uvarint byte length, then the bytes (no terminator)
//	strings  uvarint count, then that many strings
//
// Durations are varint nanoseconds (never negative). A time is a varint of
// Unix nanoseconds, 0 for "none". A signal is a string holding its name
// without "SIG" ("TERM", "KILL"), or its decimal number when it has no
// name, or "" for none: names, because signal numbers differ between
// systems and a remote worker may not share the coordinator's. A payload
// must be consumed exactly: trailing bytes are malformed, except in Hello.
//
// # Messages
//
// Fields are listed in wire order.
//
//	1 Hello     both ways, the first frame each way
//	            uvarint version   ProtocolVersion (4); frozen as the first field
//	            uvarint pid       the sender's process id
//	            string  parrun    the sender's build, for messages
//	            (later versions may append fields: trailing bytes are ignored)
//
//	2 Job       coordinator → worker
//	            uvarint seq       the job's number on this worker, from 1
//	            byte    flags     1 env set (else inherit the worker's)
//	                              2 env is added to the worker's environment:
//	                                the worker's own variables first, then
//	                                env's, and where a name is in both the
//	                                job's value wins (a remote host's PATH
//	                                and HOME stay, PARRUN_SEQ is the job's)
//	                              4 has stdin (else /dev/null)
//	                              8 stdout to /dev/null (no stdout chunks)
//	                              16 stderr to /dev/null
//	                              32 keep background: the processes the job
//	                                leaves behind may outlive it (else its
//	                                process group is killed once its leader
//	                                has exited and its output is read)
//	            strings argv      at least one
//	            strings env       KEY=VALUE
//	            string  dir       "" inherits the worker's
//	            uvarint stdinlen  bytes of stdin that follow (0 without flag 4)
//	            varint  timeout   nanoseconds, 0 for none
//	            uvarint nsteps    then per step: string signal, varint wait
//	                              (the termination sequence; none: SIGTERM,
//	                              then SIGKILL after 2s)
//	            stdin follows as Chunk frames of stream 0 totalling stdinlen,
//	            before any other frame
//
//	3 Chunk     both ways
//	            uvarint seq       the job it belongs to
//	            byte    stream    0 stdin (→ worker), 1 stdout, 2 stderr (→ coordinator)
//	            raw data          the rest of the payload, at most ChunkSize (32 KiB)
//
//	4 Done      worker → coordinator: the job has been reaped; no frame of
//	            its seq follows
//	            uvarint seq
//	            varint  exitcode  128+n when killed by signal n; 127, 126; -1
//	                              when the job never ran
//	            string  signal    that killed the job, "" for none
//	            byte    flags     1 timed out, 2 stopped by the termination
//	                              sequence (time-out, halt, interrupt), 4 not
//	                              started: a process or file limit was
//	                              reached (the coordinator may try again),
//	                              8 the job ended before taking all of its
//	                              stdin (signal is then "PIPE", as GNU logs it)
//	            varint  start     Unix nanoseconds
//	            varint  duration  nanoseconds
//	            varint  user      CPU time, nanoseconds
//	            varint  system
//	            string  error     why the job could not run, "" for none
//
//	5 Error     worker → coordinator: the worker gives up (a malformed
//	            frame, a version mismatch); the payload is the message, UTF-8.
//	            The worker exits after it.
//
//	6 Shutdown  coordinator → worker, empty: exit once idle
//
//	7 Cancel    coordinator → worker
//	            uvarint seq
//	            string  signal    first signal of the termination sequence,
//	                              "" for the job's own first step
//
//	8 Kill      coordinator → worker: skip the rest of the termination
//	            sequence, SIGKILL the job's process group now
//	            uvarint seq
//
// # Conversation
//
//	coordinator                         worker
//	    Hello  ───────────►  ◄───────────  Hello      (neither waits for the other's)
//	    Job, Chunk(0)…  ──►
//	                    ◄──  Chunk(1|2)…              (as the job writes)
//	    [Cancel, [Kill]] ─►                           (when the run is cancelled)
//	                    ◄──  Done
//	    Job …
//	    Shutdown ────────►                            (worker exits 0)
//
// Each side checks the other's Hello: a different version is an error on
// both sides, naming both versions. One job runs at a time. A Cancel or
// Kill whose seq is not the running job's has crossed that job's Done on
// the wire and is ignored. The worker treats the end of its stdin as the
// coordinator's death: it runs the termination sequence of its job, waits
// for it to be reaped, and exits — nothing is orphaned when parrun dies.
//
// # Versions
//
// Version 1 was the first protocol; version 2 added the Done flag 2
// ("stopped by the termination sequence"), which a version-1 coordinator
// would reject as an unknown flag. Version 3 added the Job flag 32 (keep
// background processes) and the Done flag 4 (not started: a resource
// limit). Version 4 added the Done flag 8 (stdin left unread), which a
// job fails by under --pipe as in GNU parallel.
//
// # Starting a worker
//
// The coordinator starts a worker as a command whose stdin and stdout are
// the two frame streams and whose stderr is the coordinator's. A parrun
// binary is a worker only when its environment has
//
//	PARRUN_WORKER_COOKIE=7c1e0b9a4f3d52e8-parrun-worker
//
// (CookieKey, CookieValue); without it, "parrun worker" is a command like
// any other. Locally the cookie goes into the worker's environment. Through
// a launcher that does not pass the environment on (ssh, srun, kubectl
// exec), it is put on the command line with env(1), after the launcher's
// own words (WorkerCommand):
//
//	ssh -T … HOST env PARRUN_WORKER_COOKIE=7c1e0b9a4f3d52e8-parrun-worker parrun
//
// The worker removes the variable from its own environment, so its jobs
// never see it.
//
// # Writing a worker
//
// A compatible worker reads frames on stdin and writes them on stdout,
// nothing else; it must ignore SIGINT (the coordinator forwards interrupts
// as Cancel); it runs each job in a process group of its own; it sends each
// job's output in Chunk frames while the job runs, then exactly one Done.
// The reference worker is Serve, entered through WorkerMain.
package ipc
