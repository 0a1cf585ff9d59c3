#include "verify/array_dataset.hpp"

#ifdef BATCHRMT_WITH_TORCH

#include <memory>
#include <utility>

#include "core/errors.hpp"
#include "core/run_identity.hpp"
#include "outputs/array_file.hpp"

namespace batchrmt::verify {

networks::ArrayData array_data_from_file(const std::string& path) {
  outputs::ArrayFile file = outputs::read_array_file(path);
  networks::ArrayData a;
  const auto& s = file.item_shape;
  a.shape = s.size() == 1 ? std::array<std::int64_t, 3>{1, 1, s[0]} : std::array<std::int64_t, 3>{s[0], s[1], s[2]};
  a.classes = file.classes;
  a.x = std::move(file.x);
  a.x_test = std::move(file.x_test);
  a.y = std::move(file.y);
  a.y_test = std::move(file.y_test);
  a.source = path;
  a.fingerprint = file_fingerprint(path);
  return a;
}

void load_array_dataset(networks::DataOptions& data, const ArraySettingNames& names) {
  if (data.name != "arrays") {
    if (!data.data_file.empty())
      throw InvalidInput(names.data + " is " + data.data_file + ", but it is read only with " + names.dataset +
                         " arrays (the dataset is " + data.name + "; its folder is " + names.data_dir + ").");
    return;
  }
  if (data.data_file.empty())
    throw InvalidInput(names.dataset + " arrays needs " + names.data +
                       " PATH, an HDF5 or .npz file with x (N x D or N x C x H x W) and y (N labels).");
  data.arrays = std::make_shared<const networks::ArrayData>(array_data_from_file(data.data_file));
}

}  // namespace batchrmt::verify
#endif
