// NumPy .npz archives: a zip file (stored or deflated entries, found through the central
// directory; zip64 size fields read, zip64 archives over 4 GiB refused) whose entries x.npy,
// y.npy, x_test.npy, y_test.npy are .npy files of format 1.0 to 3.0. Every offset and size is
// checked against the bytes behind it before it is used; entries are inflated with zlib (raw
// deflate) and their CRC-32 checked.
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>

#include "core/errors.hpp"
#include "outputs/array_readers.hpp"

namespace batchrmt::outputs::arrays {

namespace {

// An entry holds at most the largest array (8-byte values) and its .npy header.
constexpr std::uint64_t kMaxEntryBytes = kArrayMaxElements * 8 + (std::uint64_t{1} << 20);
constexpr std::uint32_t kEndOfDirectory = 0x06054b50, kDirectoryEntry = 0x02014b50, kLocalHeader = 0x04034b50;

std::uint64_t le(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int k = bytes - 1; k >= 0; --k) v = (v << 8) | p[k];
  return v;
}

struct Entry {
  std::string name;
  std::uint64_t method = 0, crc = 0, packed = 0, size = 0, offset = 0;
};

class ZipView {
 public:
  ZipView(const std::string& path, const std::vector<std::uint8_t>& bytes) : path_(path), b_(bytes) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw InvalidInput("the array file " + path_ + " is not a readable .npz archive: " + what + ".");
  }
  const std::uint8_t* at(std::uint64_t offset, std::uint64_t n, const char* what) const {
    if (offset > b_.size() || n > b_.size() - offset) fail(std::string(what) + " lies beyond the end of the file");
    return b_.data() + offset;
  }

  std::map<std::string, Entry> entries() const {
    const std::uint8_t* end = end_of_directory();
    const std::uint64_t count = le(end + 10, 2), offset = le(end + 16, 4);
    if (count == 0xffff || offset == 0xffffffffu)
      fail("it is a zip64 archive (over 4 GiB or 65535 entries); save large arrays to HDF5 instead");
    std::map<std::string, Entry> out;
    std::uint64_t pos = offset;
    for (std::uint64_t i = 0; i < count; ++i) {
      const std::uint8_t* e = at(pos, 46, "a central directory entry");
      if (le(e, 4) != kDirectoryEntry) fail("central directory entry " + std::to_string(i) + " has no signature");
      if (le(e + 8, 2) & 1) fail("an entry is encrypted");
      Entry entry;
      entry.method = le(e + 10, 2);
      entry.crc = le(e + 16, 4);
      entry.packed = le(e + 20, 4);
      entry.size = le(e + 24, 4);
      entry.offset = le(e + 42, 4);
      const std::uint64_t name_len = le(e + 28, 2), extra_len = le(e + 30, 2), comment_len = le(e + 32, 2);
      const std::uint8_t* name = at(pos + 46, name_len + extra_len, "an entry name");
      entry.name.assign(reinterpret_cast<const char*>(name), name_len);
      read_zip64_sizes(name + name_len, extra_len, entry);
      out[entry.name] = entry;
      pos += 46 + name_len + extra_len + comment_len;
    }
    return out;
  }

  // The uncompressed bytes of `e`: in the file when stored, else inflated into `inflated`.
  std::pair<const std::uint8_t*, std::size_t> contents(const Entry& e, std::vector<std::uint8_t>& inflated) const {
    const std::uint8_t* local = at(e.offset, 30, "a local header");
    if (le(local, 4) != kLocalHeader) fail("the local header of " + e.name + " has no signature");
    const std::uint64_t start = e.offset + 30 + le(local + 26, 2) + le(local + 28, 2);
    const std::uint8_t* data = at(start, e.packed, "the data of an entry");
    if (e.size > kMaxEntryBytes)
      fail("entry " + e.name + " declares " + std::to_string(e.size) + " bytes, over the cap of " +
           std::to_string(kMaxEntryBytes) + " for one array");
    std::pair<const std::uint8_t*, std::size_t> out{data, static_cast<std::size_t>(e.packed)};
    if (e.method == 0) {
      if (e.packed != e.size) fail("stored entry " + e.name + " has differing sizes");
    } else if (e.method == 8) {
      inflated = inflate_raw(data, e.packed, e.size, e.name);
      out = {inflated.data(), inflated.size()};
    } else {
      fail("entry " + e.name + " is compressed with method " + std::to_string(e.method) +
           ", but only stored (0) and deflated (8) entries are read");
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    for (std::size_t k = 0; k < out.second; k += UINT_MAX)
      crc = crc32(crc, out.first + k, static_cast<uInt>(std::min<std::size_t>(UINT_MAX, out.second - k)));
    if (crc != e.crc) fail("entry " + e.name + " fails its CRC-32 check (the file is damaged)");
    return out;
  }

 private:
  const std::uint8_t* end_of_directory() const {
    if (b_.size() < 22) fail("it is shorter than a zip directory");
    const std::size_t lowest = b_.size() >= 22 + 0xffff ? b_.size() - 22 - 0xffff : 0;
    for (std::size_t p = b_.size() - 22 + 1; p-- > lowest;)
      if (le(b_.data() + p, 4) == kEndOfDirectory) return b_.data() + p;
    fail("it has no end-of-central-directory record");
  }

  void read_zip64_sizes(const std::uint8_t* extra, std::uint64_t n, Entry& e) const {
    for (std::uint64_t p = 0; p + 4 <= n;) {
      const std::uint64_t id = le(extra + p, 2), len = le(extra + p + 2, 2);
      if (p + 4 + len > n) fail("an extra field of " + e.name + " is cut short");
      std::uint64_t q = p + 4;
      for (std::uint64_t* field : {&e.size, &e.packed, &e.offset}) {
        if (id != 1 || *field != 0xffffffffu) continue;
        if (q + 8 > p + 4 + len) fail("the zip64 field of " + e.name + " is cut short");
        *field = le(extra + q, 8);
        q += 8;
      }
      p += 4 + len;
    }
  }

  std::vector<std::uint8_t> inflate_raw(const std::uint8_t* data, std::uint64_t packed, std::uint64_t size,
                                        const std::string& name) const {
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw IoError("zlib could not be initialised to read " + path_ + ".");
    std::vector<std::uint8_t> out;
    std::uint64_t fed = 0;
    int r = Z_OK;
    while (r == Z_OK || r == Z_BUF_ERROR) {
      if (zs.avail_in == 0 && fed < packed) {
        const auto n = static_cast<uInt>(std::min<std::uint64_t>(packed - fed, UINT_MAX));
        zs.next_in = const_cast<Bytef*>(data + fed);
        zs.avail_in = n;
        fed += n;
      }
      const std::size_t old = out.size();
      const std::size_t grow = static_cast<std::size_t>(
          std::min<std::uint64_t>({size + 1 - old, std::max<std::uint64_t>(old, 1u << 16), UINT_MAX}));
      out.resize(old + grow);
      zs.next_out = out.data() + old;
      zs.avail_out = static_cast<uInt>(grow);
      r = inflate(&zs, Z_NO_FLUSH);
      out.resize(old + grow - zs.avail_out);
      if (out.size() > size || (r == Z_BUF_ERROR && zs.avail_in == 0 && fed == packed)) break;
    }
    inflateEnd(&zs);
    if (r != Z_STREAM_END || out.size() != size)
      fail("deflated entry " + name + " does not inflate to its declared " + std::to_string(size) + " bytes");
    return out;
  }

  const std::string& path_;
  const std::vector<std::uint8_t>& b_;
};

// ---------------------------------------------------------------- .npy

struct NpyArray {
  ArrayHeader header;
  char kind = 'f';  // f, i, u
  std::size_t item_bytes = 0;
  const std::uint8_t* data = nullptr;
  std::size_t next = 0;  // values handed over so far
};

// The value of `key` in the header dictionary ("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }").
std::string dict_value(const std::string& dict, const std::string& key) {
  const auto k = dict.find("'" + key + "'");
  if (k == std::string::npos) return {};
  auto v = dict.find(':', k);
  if (v == std::string::npos) return {};
  v = dict.find_first_not_of(' ', v + 1);
  if (v == std::string::npos) return {};
  const char open = dict[v];
  const char close = open == '(' ? ')' : open == '\'' ? '\'' : open == '[' ? ']' : ',';
  const auto e = dict.find(close, v + 1);
  if (e == std::string::npos) return {};
  return dict.substr(v, e - v + (close == ',' ? 0 : 1));
}

std::string dtype_of_descr(const std::string& descr, char& kind, std::size_t& bytes) {
  if (descr.size() < 2 || descr.front() != '\'' || descr.back() != '\'') return "structured (" + descr + ")";
  const std::string d = descr.substr(1, descr.size() - 2);
  if (d.size() < 3) return descr;
  kind = d[1];
  bytes = static_cast<std::size_t>(std::atoi(d.c_str() + 2));
  const bool little = d[0] == '<' || d[0] == '|' || (d[0] == '=' && bytes == 1);
  std::string name;
  if (kind == 'f' && (bytes == 2 || bytes == 4 || bytes == 8 || bytes == 16)) name = "float" + std::to_string(8 * bytes);
  if ((kind == 'i' || kind == 'u') && (bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8))
    name = (kind == 'u' ? "uint" : "int") + std::to_string(8 * bytes);
  if (name.empty()) return descr;
  return little ? name : name + " (big-endian)";
}

NpyArray parse_npy(const std::string& path, const std::string& entry, const std::uint8_t* b, std::size_t size) {
  const auto fail = [&](const std::string& what) -> InvalidInput {
    return InvalidInput("entry " + entry + " of " + path + " is not a readable .npy array: " + what + ".");
  };
  if (size < 10 || std::memcmp(b, "\x93NUMPY", 6) != 0) throw fail("it lacks the .npy magic");
  const int major = b[6];
  if (major < 1 || major > 3) throw fail("its format version is " + std::to_string(major) + ", but 1 to 3 are read");
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  if (size < 8 + len_bytes) throw fail("its header is cut short");
  const std::uint64_t header_len = le(b + 8, static_cast<int>(len_bytes));
  const std::uint64_t start = 8 + len_bytes + header_len;
  if (start > size) throw fail("its header is cut short");
  const std::string dict(reinterpret_cast<const char*>(b) + 8 + len_bytes, header_len);
  if (dict_value(dict, "fortran_order").rfind("False", 0) != 0)
    throw fail("it is stored in Fortran order, but C order is read (save np.ascontiguousarray(a))");
  NpyArray a;
  a.header.present = true;
  a.header.dtype = dtype_of_descr(dict_value(dict, "descr"), a.kind, a.item_bytes);
  const std::string shape = dict_value(dict, "shape");
  if (shape.empty()) throw fail("its header has no shape");
  for (std::size_t p = 1; p < shape.size();) {
    const std::size_t q = shape.find_first_of(",)", p);
    const auto digits = shape.substr(p, q - p);
    if (digits.find_first_not_of(" 0123456789L") != std::string::npos) throw fail("its shape " + shape + " is unreadable");
    if (digits.find_first_of("0123456789") != std::string::npos)
      a.header.dims.push_back(static_cast<std::int64_t>(std::min(std::strtoull(digits.c_str(), nullptr, 10),
                                                                 static_cast<unsigned long long>(INT64_MAX))));
    p = q + 1;
  }
  if (has_values(a.header) && capped_numel(a.header.dims) * a.item_bytes != size - start)
    throw fail("it holds " + std::to_string(size - start) + " data bytes, but its shape and dtype need " +
               std::to_string(capped_numel(a.header.dims) * a.item_bytes));
  a.data = b + start;
  return a;
}

template <typename T>
T load(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::int64_t integer_at(const std::uint8_t* p, char kind, std::size_t bytes) {
  const bool sign = kind == 'i';
  switch (bytes) {
    case 1: return sign ? load<std::int8_t>(p) : load<std::uint8_t>(p);
    case 2: return sign ? load<std::int16_t>(p) : load<std::uint16_t>(p);
    case 4: return sign ? load<std::int32_t>(p) : load<std::uint32_t>(p);
    default: {
      if (sign) return load<std::int64_t>(p);
      return static_cast<std::int64_t>(std::min<std::uint64_t>(load<std::uint64_t>(p), INT64_MAX));
    }
  }
}

}  // namespace

struct NpzArrayReader::Archive : ValueSource {
  std::vector<std::uint8_t> file;
  std::array<std::vector<std::uint8_t>, 4> inflated;
  std::array<NpyArray, 4> arrays;
  ArrayHeaders headers;

  void read(Role role, void* out, std::size_t count) override {
    NpyArray& a = arrays[role];
    const std::uint8_t* p = a.data + a.next * a.item_bytes;
    a.next += count;
    if (a.kind == 'f') {
      std::memcpy(out, p, count * a.item_bytes);
      return;
    }
    auto* labels = static_cast<std::int64_t*>(out);
    for (std::size_t k = 0; k < count; ++k) labels[k] = integer_at(p + k * a.item_bytes, a.kind, a.item_bytes);
  }
};

NpzArrayReader::NpzArrayReader(const std::string& path, std::vector<std::uint8_t> bytes)
    : archive_(std::make_unique<Archive>()) {
  archive_->file = std::move(bytes);
  const ZipView zip(path, archive_->file);
  const auto entries = zip.entries();
  for (std::size_t r = 0; r < kNames.size(); ++r) {
    const auto e = entries.find(std::string(kNames[r]) + ".npy");
    if (e == entries.end()) continue;
    const auto [data, size] = zip.contents(e->second, archive_->inflated[r]);
    archive_->arrays[r] = parse_npy(path, e->first, data, size);
    archive_->headers[r] = archive_->arrays[r].header;
  }
}

NpzArrayReader::~NpzArrayReader() = default;

const ArrayHeaders& NpzArrayReader::headers() const { return archive_->headers; }

ValueSource& NpzArrayReader::values() { return *archive_; }

}  // namespace batchrmt::outputs::arrays
