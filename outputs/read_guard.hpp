// A read of a result file that cannot hang. libhdf5 (1.10.8, Debian 12) loops forever inside
// H5Aread -> H5HG_read on some corrupt files (8 KiB zeroed at offset 4096 of a result file: a
// variable-length string attribute whose global-heap collection was overwritten), so a file a
// user hands over is first walked in a child process with a time limit (docs/reliability.md).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

namespace batchrmt::outputs {

// Opens `path` in a forked child and reads every group, attribute and string dataset, and
// every dataset's header. InvalidInput (exit 2), one sentence naming the file, when the walk
// fails or does not finish within `seconds` (0: $BATCHRMT_HDF5_CHECK_SECONDS, default 30).
// Call it before Reader::open for files from outside (inspect, report, --golden).
void check_readable(const std::string& path, double seconds = 0);

// The time limit of an isolated read: `seconds` when positive, else
// $BATCHRMT_HDF5_CHECK_SECONDS, default 30.
double hdf5_read_seconds(double seconds);

// Forks a child that runs `work` and exits with its return value (4 when it throws), with
// libhdf5's error printing off, the parent's crash handlers forgotten, SIGKILL when the parent
// dies and, when `alarm_seconds` > 0, SIGALRM after that long. Returns the child's pid to the
// parent (-1 when fork fails); never returns in the child.
pid_t fork_isolated(const std::function<int()>& work, unsigned alarm_seconds);

}  // namespace batchrmt::outputs
