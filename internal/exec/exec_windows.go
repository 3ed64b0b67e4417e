package exec

// parrun runs each job in a POSIX process group and signals the group
// (SPEC §6); Windows has neither. Building for it fails here, on purpose,
// with this identifier's name as the message (README: Platforms).
var _ = parrun_needs_a_POSIX_system__Windows_is_not_supported
