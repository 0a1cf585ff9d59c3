#include "outputs/output_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/errors.hpp"

namespace batchrmt::outputs {

OutputLock OutputLock::acquire(const std::string& final_path) {
  OutputLock lock;
  lock.path_ = lock_path(final_path);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(lock.path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      throw IoError("cannot create the lock file " + lock.path_ + " (" + std::strerror(errno) + ").");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK)
        throw InvalidInput("another batchrmt run is writing " + final_path + " (it holds " + lock.path_ +
                           "); wait for it to finish, or choose another --out.");
      throw IoError("cannot lock " + lock.path_ + " (" + std::strerror(err) + ").");
    }
    // The holder before us may have removed the file after we opened it: we must hold the
    // lock of the file that is at the path now.
    struct stat held{}, at_path{};
    if (::fstat(fd, &held) == 0 && ::stat(lock.path_.c_str(), &at_path) == 0 && held.st_ino == at_path.st_ino &&
        held.st_dev == at_path.st_dev) {
      lock.fd_ = fd;
      return lock;
    }
    ::close(fd);
  }
  throw IoError("cannot lock " + lock.path_ + ": it keeps being replaced by other processes.");
}

OutputLock::OutputLock(OutputLock&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }

OutputLock& OutputLock::operator=(OutputLock&& o) noexcept {
  if (this != &o) {
    release();
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

OutputLock::~OutputLock() { release(); }

void OutputLock::release() noexcept {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still holding it: see the inode check in acquire()
  ::close(fd_);
  fd_ = -1;
}

}  // namespace batchrmt::outputs
