// Whole-file reads and gzip decompression for the byte-level formats (no LibTorch here).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "core/errors.hpp"
#include "networks/raw/raw_formats.hpp"

namespace batchrmt::networks::raw {

std::vector<std::uint8_t> read_file_bytes(const std::string& path, const std::string& what, std::uint64_t max_bytes) {
  struct stat sb {};
  if (::stat(path.c_str(), &sb) != 0) {
    const int err = errno;
    throw InvalidInput(what + " " + path + " cannot be read: " + std::strerror(err) + ".");
  }
  if (S_ISDIR(sb.st_mode)) throw InvalidInput(what + " " + path + " is a directory, not a file.");
  if (!S_ISREG(sb.st_mode)) throw InvalidInput(what + " " + path + " is not a regular file.");
  const auto size = static_cast<std::uint64_t>(sb.st_size);
  if (size > max_bytes)
    throw InvalidInput(what + " " + path + " has " + std::to_string(size) + " bytes, over the cap of " +
                       std::to_string(max_bytes) + " bytes.");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == EACCES || err == ENOENT || err == EISDIR)
      throw InvalidInput(what + " " + path + " cannot be opened: " + std::strerror(err) + ".");
    throw IoError("opening " + what + " " + path + " failed: " + std::strerror(err) + ".");
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t r = ::read(fd, bytes.data() + got, std::min<std::size_t>(bytes.size() - got, std::size_t{1} << 30));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      const int err = r < 0 ? errno : 0;
      ::close(fd);
      throw IoError("reading " + what + " " + path + " failed after " + std::to_string(got) + " of " +
                    std::to_string(size) + " bytes" + (err ? std::string(": ") + std::strerror(err) : std::string()) +
                    ".");
    }
    got += static_cast<std::size_t>(r);
  }
  ::close(fd);
  return bytes;
}

namespace {

struct Inflater {
  z_stream zs{};
  bool open = false;
  ~Inflater() {
    if (open) inflateEnd(&zs);
  }
};

bool gzip_magic(const std::uint8_t* p, std::size_t n) { return n >= 2 && p[0] == 0x1f && p[1] == 0x8b; }

}  // namespace

std::vector<std::uint8_t> gunzip_prefix(const std::uint8_t* data, std::size_t size, std::size_t limit,
                                        const std::string& name) {
  if (!gzip_magic(data, size)) return std::vector<std::uint8_t>(data, data + std::min(size, limit));
  Inflater in;
  if (inflateInit2(&in.zs, 16 + MAX_WBITS) != Z_OK) throw IoError("zlib could not be initialised to read " + name + ".");
  in.open = true;
  std::size_t fed = 0;  // input bytes handed to zlib so far
  auto feed = [&] {
    const std::size_t n = std::min<std::size_t>(size - fed, UINT_MAX);
    in.zs.next_in = const_cast<Bytef*>(data + fed);
    in.zs.avail_in = static_cast<uInt>(n);
    fed += n;
  };
  feed();
  std::vector<std::uint8_t> out;
  while (out.size() < limit) {
    if (in.zs.avail_in == 0 && fed < size) feed();
    const std::size_t old = out.size();
    const std::size_t grow = std::min({limit - old, std::max<std::size_t>(old, 1u << 16), std::size_t{UINT_MAX}});
    out.resize(old + grow);
    in.zs.next_out = out.data() + old;
    in.zs.avail_out = static_cast<uInt>(grow);
    const int r = inflate(&in.zs, Z_NO_FLUSH);
    out.resize(old + grow - in.zs.avail_out);
    if (r == Z_STREAM_END) {
      const std::size_t left = in.zs.avail_in + (size - fed);
      if (left == 0) break;
      const std::uint8_t* next = in.zs.next_in;
      if (!gzip_magic(next, left))  // the input is contiguous: `left` bytes follow `next`
        throw InvalidInput(name + " has " + std::to_string(left) +
                           " bytes after the end of its gzip stream that are not another gzip member.");
      if (inflateReset(&in.zs) != Z_OK) throw IoError("zlib could not continue reading " + name + ".");
      continue;
    }
    if (r == Z_BUF_ERROR && in.zs.avail_in == 0 && fed == size)
      throw InvalidInput(name + " is truncated: its gzip stream is cut short after " + std::to_string(out.size()) +
                         " decompressed bytes.");
    if (r != Z_OK && r != Z_BUF_ERROR)
      throw InvalidInput(name + " is not a readable gzip file (" + std::string(in.zs.msg ? in.zs.msg : "zlib error " + std::to_string(r)) +
                         ").");
  }
  return out;
}

}  // namespace batchrmt::networks::raw
