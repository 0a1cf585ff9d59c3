// MPI for the Monte-Carlo runner (OpenMPI; optional at build time: BATCHRMT_WITH_MPI).
// MPI is initialised only when the process was started by mpirun/mpiexec (detected from
// the launcher's environment), so the binary runs unchanged without it.
#pragma once

#include <cstdint>
#include <vector>

namespace batchrmt::simulate {

class MpiContext {
 public:
  static MpiContext& instance();
  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }
  bool active() const noexcept { return size_ > 1; }
  bool is_writer() const noexcept { return rank_ == 0; }
  static bool built_with_mpi();

  // Point-to-point transfer of doubles (rank r -> 0) with a tag; no-ops when inactive.
  void send(const std::vector<double>& data, int dest, int tag) const;
  std::vector<double> receive(int source, int tag) const;
  // Broadcast from rank 0.
  void broadcast(std::vector<std::uint8_t>& data) const;
  void barrier() const;

 private:
  MpiContext();
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace batchrmt::simulate
