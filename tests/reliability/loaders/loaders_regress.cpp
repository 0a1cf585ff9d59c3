// Regression tests of the loader defects listed in docs/reliability.md, each running the
// command given there through the built CLI. Every one failed on main at 2a552c9 (checked by
// running this binary with BATCHRMT_CLI_UNDER_TEST=<that build's batchrmt>).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/apps/cli_support.hpp"
#include "tests/networks/test_support.hpp"

namespace fs = std::filesystem;
using batchrmt::testing::ScratchDir;

namespace {

// The binary under test: BATCHRMT_CLI, or another build's named by BATCHRMT_CLI_UNDER_TEST.
batchrmt::testing::CliResult cli(const std::string& args) {
  const char* other = std::getenv("BATCHRMT_CLI_UNDER_TEST");
  if (!other || !*other) return batchrmt::testing::run_cli(args);
  return batchrmt::testing::run_command(std::string(other) + " " + args);
}

int lines(const std::string& s) { return batchrmt::testing::count_lines(s); }

#ifdef BATCHRMT_TEST_HAS_TURBOJPEG
// d/in/train/{n000: 6 red, n001: 6 blue} 8x8 images, no val/; returns d/in.
fs::path two_class_folder(const ScratchDir& d) {
  using batchrmt::testing::write_jpeg;
  const fs::path root = d.path / "in";
  for (int i = 0; i < 6; ++i) {
    fs::create_directories(root / "train" / "n000");
    fs::create_directories(root / "train" / "n001");
    write_jpeg((root / "train/n000" / ("r" + std::to_string(i) + ".JPEG")).string(), 8, 8, 230, 10, 10);
    write_jpeg((root / "train/n001" / ("b" + std::to_string(i) + ".JPEG")).string(), 8, 8, 10, 10, 230);
  }
  return root;
}

// A 64 x 64 JPEG of colour (r, g, b) at root/relative; its path.
fs::path add_jpeg64(const fs::path& root, const std::string& relative, int r, int g, int b) {
  const fs::path p = root / relative;
  batchrmt::testing::write_jpeg(p.string(), 64, 64, r, g, b);
  return p;
}

// val/ holding a copy of train's class `name`.
void copy_class_to_val(const fs::path& root, const std::string& name) {
  fs::create_directories(root / "val");
  fs::copy(root / "train" / name, root / "val" / name, fs::copy_options::recursive);
}

std::string imagenet_train(const fs::path& root, const std::string& out) {
  return "train --model linear --dataset imagenet --image-size 8 --data-dir " + root.string() +
         " --epochs 15 --batch-size 4 --lr 0.5 --augment off --json --overwrite --out " + out;
}
#endif

}  // namespace

#ifdef BATCHRMT_TEST_HAS_TURBOJPEG
// val/ holding only the second class was labelled 0 (its own folder list): 0 % test
// accuracy on a task the model learns perfectly.
TEST(LoaderInputs, ImageNetValLabelsComeFromTrainsClassList) {
  ScratchDir d("rel_val");
  const fs::path root = two_class_folder(d);
  fs::create_directories(root / "val" / "n001");
  for (int i = 0; i < 3; ++i)
    batchrmt::testing::write_jpeg((root / "val/n001" / ("v" + std::to_string(i) + ".JPEG")).string(), 8, 8, 10, 10, 230);
  const auto r = cli(imagenet_train(root, d / "val.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["train_accuracy"], 1.0) << r.out;
  EXPECT_EQ(j["test_accuracy"], 1.0) << r.out;
}

// A val/ class that train/ lacks is bad input, one sentence naming the folder.
TEST(LoaderInputs, AValClassUnknownToTrainIsBadInput) {
  ScratchDir d("rel_valx");
  const fs::path root = two_class_folder(d);
  fs::create_directories(root / "val" / "n001");
  fs::create_directories(root / "val" / "n999");
  batchrmt::testing::write_jpeg((root / "val/n001/v.JPEG").string(), 8, 8, 10, 10, 230);
  batchrmt::testing::write_jpeg((root / "val/n999/v.JPEG").string(), 8, 8, 10, 230, 10);
  const auto r = cli(imagenet_train(root, d / "valx.h5"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find((root / "val" / "n999").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not a class of"), std::string::npos) << r.err;
  EXPECT_LE(lines(r.err), 2) << r.err;
}

// A 64x64 JPEG whose header claims 65500x65500 is refused before decoding.
TEST(LoaderInputs, AJpegHeaderOverTheCapIsRefusedNamingFileAndCap) {
  ScratchDir d("rel_big");
  const fs::path root = two_class_folder(d);
  const fs::path big = add_jpeg64(root, "train/n000/big.JPEG", 100, 100, 100);
  std::string bytes;
  {
    std::ifstream in(big, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto sof = bytes.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  bytes[sof + 5] = bytes[sof + 7] = '\xff';  // height and width 0xffdc = 65500
  bytes[sof + 6] = bytes[sof + 8] = '\xdc';
  std::ofstream(big, std::ios::binary) << bytes;
  copy_class_to_val(root, "n001");
  const auto r = cli(imagenet_train(root, d / "big.h5"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(big.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("65500 x 65500"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cap of 16384 a side"), std::string::npos) << r.err;
}

// A half-truncated JPEG was accepted silently (grey lower half).
TEST(LoaderInputs, AHalfTruncatedJpegIsRefused) {
  ScratchDir d("rel_half");
  const fs::path root = two_class_folder(d);
  const fs::path half = add_jpeg64(root, "train/n001/half.JPEG", 10, 10, 230);
  {
    // Cut the entropy-coded data (after the SOS marker) in half: the headers stay readable.
    std::ifstream in(half, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto sos = bytes.find("\xff\xda");
    ASSERT_NE(sos, std::string::npos);
    fs::resize_file(half, sos + (bytes.size() - sos) / 2);
  }
  copy_class_to_val(root, "n000");
  const auto r = cli(imagenet_train(root, d / "half.h5"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(half.string() + " is damaged or truncated"), std::string::npos) << r.err;
}
#endif

// A CIFAR train.bin that is a directory gave "9223372036854775807 bytes".
TEST(LoaderInputs, ACifarTrainBinThatIsADirectoryIsNamedAsSuch) {
  ScratchDir d("rel_cifar");
  fs::create_directories(d.path / "train.bin");
  batchrmt::testing::write_raw(d / "test.bin", batchrmt::testing::cifar_records(2));
  const auto r = cli("train --model linear --dataset cifar100 --data-dir " + d.path.string() +
                     " --epochs 1 --batch-size 2 --overwrite --out " + (d / "c.h5"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find((d.path / "train.bin").string() + " is a directory, not a file"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("9223372036854775807"), std::string::npos) << r.err;
}

// A truncated IDX file exited 1 while a bad magic exits 2; both are bad input.
TEST(LoaderInputs, ATruncatedIdxFileIsBadInputLikeABadMagic) {
  using namespace batchrmt::testing;
  ScratchDir d("rel_idx");
  auto images = idx_images(5, 28, 28);
  images.resize(images.size() - 300);
  write_gz(d / "train-images-idx3-ubyte.gz", images);
  write_gz(d / "t10k-images-idx3-ubyte.gz", idx_images(3, 28, 28));
  write_gz(d / "train-labels-idx1-ubyte.gz", idx_labels({1, 2, 3, 4, 5}));
  write_gz(d / "t10k-labels-idx1-ubyte.gz", idx_labels({1, 2, 3}));
  const std::string args = "train --model linear --dataset fashion-mnist --data-dir " + d.path.string() +
                           " --epochs 1 --batch-size 2 --overwrite --out " + (d / "f.h5");
  const auto r = cli(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("train-images-idx3-ubyte.gz is truncated"), std::string::npos) << r.err;
  write_gz(d / "train-images-idx3-ubyte.gz", idx_images(5, 28, 28, 0x00000801u));
  EXPECT_EQ(cli(args).exit_code, 2);  // the bad magic: 2 before and after
}
