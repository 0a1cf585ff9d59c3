// An exclusive lock on a result file's name: flock(2) on NAME.h5.lock, held from Store::open
// until the store commits or closes, so two runs can never write (or rename over) one --out.
// The lock file is removed on release; a waiter that locked a removed file retries on the new
// one (the inode check below), so removal never lets two runs in at once.
#pragma once

#include <string>

namespace batchrmt::outputs {

class OutputLock {
 public:
  OutputLock() = default;
  // InvalidInput (exit 2) when another process holds the lock; IoError when the lock file
  // cannot be created.
  static OutputLock acquire(const std::string& final_path);
  OutputLock(OutputLock&& o) noexcept;
  OutputLock& operator=(OutputLock&& o) noexcept;
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  ~OutputLock();
  void release() noexcept;
  bool held() const noexcept { return fd_ >= 0; }
  static std::string lock_path(const std::string& final_path) { return final_path + ".lock"; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace batchrmt::outputs
