// A main() for the fuzz targets when they are built without libFuzzer (any compiler, e.g. the
// asan preset under GCC): runs LLVMFuzzerTestOneInput once on every file named on the command
// line or found (recursively) in a folder named there, in sorted order — the deterministic
// corpus replay of CI. Prints how many inputs ran; exits 1 when none did.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path p(argv[i]);
    if (fs::is_directory(p)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file()) inputs.push_back(e.path());
    } else if (fs::is_regular_file(p)) {
      inputs.push_back(p);
    } else {
      std::cerr << "replay: " << p.string() << " is neither a file nor a folder.\n";
      return 2;
    }
  }
  std::sort(inputs.begin(), inputs.end());
  for (const auto& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());  // exactly size bytes: overreads are caught
    static std::uint8_t none = 0;
    const std::uint8_t* data = copy.empty() ? &none : copy.data();
    LLVMFuzzerTestOneInput(data, copy.size());
  }
  std::cout << "replay: " << inputs.size() << " inputs ran without a finding.\n";
  return inputs.empty() ? 1 : 0;
}
