// --dataset arrays --data PATH (CLI) or dataset = "arrays", data = PATH (a C5 case's config
// table): outputs/ reads the file (outputs/array_file.hpp) and networks/ gets the plain arrays
// (networks::ArrayData); networks/ never sees outputs/, and verify/ joins the two.
#pragma once

#ifdef BATCHRMT_WITH_TORCH
#include <string>

#include "networks/datasets.hpp"

namespace batchrmt::verify {

// What the refusals call the two settings: the CLI's flags or a config table's keys.
struct ArraySettingNames {
  std::string dataset = "--dataset", data = "--data", data_dir = "--data-dir";
};

// For data.name == "arrays": reads data.data_file into data.arrays (InvalidInput, one sentence,
// when data_file is empty or the file is refused). Other datasets: a data_file is refused, and
// nothing else changes.
void load_array_dataset(networks::DataOptions& data, const ArraySettingNames& names = {});

// The arrays of a file as read by outputs/: N x D becomes 1 x 1 x D, N x C x H x W keeps C x H x W.
networks::ArrayData array_data_from_file(const std::string& path);

}  // namespace batchrmt::verify
#endif
