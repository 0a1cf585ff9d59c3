// Facts about the machine that decide whether a run can start.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace batchrmt {

// Physical memory in bytes (sysconf), 0 if unknown.
std::uint64_t physical_memory_bytes();

// Throws InvalidInput, before any work starts, when `bytes` exceeds the memory limit: the
// --max-memory value when one was set, else 80 % of the physical memory:
// "<what> needs 12.0 GiB, but this machine has 24.0 GiB of memory (at most 19.2 GiB usable)."
void check_memory_budget(const std::string& what, double bytes);

// The largest estimate check_memory_budget has accepted in this process, as
// "<what> (estimated 12.0 GiB)", or "" when none: when memory runs out anyway, the message names
// the value that most likely caused it.
std::string largest_memory_estimate();

// The limit check_memory_budget applies (--max-memory; 0 restores the default).
void set_memory_limit(double bytes);
double memory_limit_bytes();

// "4G", "512M", "1.5GiB", "100000" (bytes) -> bytes; InvalidInput naming `option` otherwise.
double parse_byte_size(const std::string& option, const std::string& text);

std::string format_bytes(double bytes);

// Sets the thread count of the BLAS/LAPACK in use (OpenBLAS's openblas_set_num_threads, found
// at run time so any BLAS links). Results of multithreaded BLAS depend on the thread count
// (the order of floating-point reductions), so every run fixes it from --threads: the same
// seed and --threads then give bit-identical numbers, with or without mpirun.
// Returns false when the BLAS offers no such control.
bool set_blas_threads(int threads);

// Asks the kernel to back the 2 MiB-aligned part of [data, data + bytes) with 2 MiB pages
// (madvise MADV_HUGEPAGE, Linux; advice only, a no-op elsewhere or where no whole aligned 2 MiB
// page lies inside). Call it on a
// large array before its first write: the first touch then costs one fault per 2 MiB instead of
// one per 4 KiB (on this project's paravirtualised VMs a 4 KiB fault costs about 2-4 us, so an
// 80 MB array took about 0.1 s of faults to fill). Returns the bytes advised.
std::size_t advise_huge_pages(void* data, std::size_t bytes);

}  // namespace batchrmt
