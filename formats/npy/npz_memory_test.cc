// Proves that a pass over a large stored .npz (what `verify` and `convert` do, tensor by tensor)
// stays near one tensor of resident memory: each tensor is a view into the mapped archive, made
// contiguous (a copy only when misaligned), summed, and its pages released.
//
// The archives (64 x 4 MiB f32) are written into TEST_TMPDIR: one by WriteNpzStreaming (data
// aligned to 64 bytes, so the tensors are packed views), one with ZipWriter directly and no
// alignment, laid out so every array starts 1 byte past a 4-byte boundary (as np.savez may place
// them). Tensor i holds value[j] = (j % 1024) + 0.25 * i, whose sum is known in closed form:
// 1024 * (0 + 1 + ... + 1023) + 0.25 * i * 2^20 (exact in double).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/output_file.h"
#include "core/testing/test_util.h"
#include "formats/npy/npy.h"
#include "formats/npy/npz.h"
#include "formats/registry.h"
#include "formats/zip/zip.h"
#include "gtest/gtest.h"

#if defined(__SANITIZE_ADDRESS__)
// Under tools/asan_test.sh: ASan's quarantine holds freed blocks (each misaligned tensor's 4 MiB
// copy) for a while, which is the sanitizer's memory, not the reader's. Without it, freed large
// blocks are unmapped at once, as with the normal allocator, and the bound below still applies.
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=0"; }
#endif

namespace tp {
namespace {

using ::tp::testutil::TempPath;

constexpr int kTensors = 64;
constexpr int64_t kElems = 1 << 20;  // 4 MiB of f32 per tensor
constexpr int64_t kTensorBytes = kElems * 4;

double ExpectedSum(int i) { return 1024.0 * (1023.0 * 1024.0 / 2.0) + 0.25 * i * kElems; }

// VmRSS of this process in bytes (-1 when /proc is unavailable).
int64_t ResidentBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return -1;
}

Tensor MakeTensor(int i) {
  Tensor t = Tensor::Zeros(DType::kF32, {kElems});
  float* p = t.mutable_data_as<float>();
  for (int64_t j = 0; j < kElems; ++j) p[j] = static_cast<float>(j % 1024) + 0.25f * i;
  return t;
}

std::string TensorName(int i) { return absl::StrFormat("t%05d", i); }  // "t00000.npy": 10 bytes

// Aligned archive through the product's streaming writer.
std::string WriteAligned() {
  const std::string path = TempPath("aligned.npz");
  std::vector<TensorSpec> specs;
  for (int i = 0; i < kTensors; ++i) specs.push_back({TensorName(i), DType::kF32, {kElems}});
  const absl::Status s = WriteNpzStreaming(
      path, specs, [](size_t i) -> absl::StatusOr<Tensor> { return MakeTensor(i); });
  EXPECT_TRUE(s.ok()) << s;
  return path;
}

// Misaligned archive: a 1-byte u8 entry first shifts everything after it by an odd amount, and
// each f32 entry's overhead (30-byte local header + 10-byte name + 128-byte .npy header) is a
// multiple of 4, so every f32 array starts at 1 mod 4. The test checks that rather than trusting it.
std::string WriteMisaligned() {
  const std::string path = TempPath("misaligned.npz");
  absl::StatusOr<std::unique_ptr<OutputFile>> out = OutputFile::Create(path);
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return path;
  ZipWriter zip(out->get());
  {
    absl::StatusOr<std::string> header = NpyHeaderBytes(DType::kU8, {1}, path);
    EXPECT_TRUE(header.ok());
    const absl::string_view parts[] = {*header, absl::string_view("\x07", 1)};
    EXPECT_TRUE(zip.AddParts("a_shift.npy", parts, 0, 0).ok());
  }
  for (int i = 0; i < kTensors; ++i) {
    const Tensor t = MakeTensor(i);
    absl::StatusOr<std::string> header = NpyHeaderBytes(DType::kF32, {kElems}, path);
    EXPECT_TRUE(header.ok());
    const absl::string_view parts[] = {
        *header, absl::string_view(reinterpret_cast<const char*>(t.data()), t.nbytes())};
    const absl::Status s = zip.AddParts(TensorName(i) + ".npy", parts, 0, 0);
    EXPECT_TRUE(s.ok()) << s;
  }
  EXPECT_TRUE(zip.Finish().ok());
  EXPECT_TRUE((*out)->Commit().ok());
  return path;
}

struct PassResult {
  int tensors = 0;
  int misaligned = 0;
  int64_t peak_growth = 0;   // max VmRSS sample minus VmRSS before the pass
  int64_t final_growth = 0;  // VmRSS after the pass minus before
};

// Reads `path` with ReadCheckpoint and checks every f32 tensor's sum against the closed form,
// sampling VmRSS after each tensor while its copy (if any) and its pages are still held.
PassResult SumEveryTensor(const std::string& path, bool release) {
  PassResult r;
  absl::StatusOr<Checkpoint> ckpt = ReadCheckpoint(path);
  EXPECT_TRUE(ckpt.ok()) << ckpt.status();
  if (!ckpt.ok()) return r;
  EXPECT_EQ(ckpt->format, "npz");
  const int64_t before = ResidentBytes();
  EXPECT_GT(before, 0);
  int64_t peak = before;
  int index = 0;
  for (const NamedTensor& nt : ckpt->tensors) {
    if (nt.tensor.dtype() != DType::kF32) continue;  // the misaligned file's 1-byte shifter
    SCOPED_TRACE(nt.name);
    EXPECT_EQ(nt.name, TensorName(index));
    EXPECT_TRUE(nt.tensor.is_view());
    EXPECT_NE(nt.tensor.mapped_file(), nullptr);
    if (!nt.tensor.is_aligned()) ++r.misaligned;
    {
      absl::StatusOr<Tensor> c = nt.tensor.Contiguous();
      EXPECT_TRUE(c.ok()) << c.status();
      if (!c.ok()) return r;
      EXPECT_TRUE(c->is_packed());
      const float* p = c->data_as<float>();
      double sum = 0;
      for (int64_t j = 0; j < c->num_elements(); ++j) sum += p[j];
      EXPECT_EQ(sum, ExpectedSum(index));
      peak = std::max(peak, ResidentBytes());
    }
    if (release) nt.tensor.ReleasePages();
    peak = std::max(peak, ResidentBytes());
    ++index;
    ++r.tensors;
  }
  r.peak_growth = peak - before;
  r.final_growth = ResidentBytes() - before;
  return r;
}

TEST(NpzMemoryTest, AlignedStoredArchiveStaysUnderThreeTensors) {
  const std::string path = WriteAligned();
  const PassResult r = SumEveryTensor(path, /*release=*/true);
  EXPECT_EQ(r.tensors, kTensors);
  EXPECT_EQ(r.misaligned, 0);
  EXPECT_LT(r.peak_growth, 3 * kTensorBytes) << "peak RSS growth " << r.peak_growth;
  std::printf("aligned: %d tensors, peak RSS growth %.1f MiB (bound %.1f MiB)\n", r.tensors,
              r.peak_growth / 1048576.0, 3 * kTensorBytes / 1048576.0);
  std::remove(path.c_str());
}

TEST(NpzMemoryTest, MisalignedStoredArchiveStaysUnderThreeTensors) {
  const std::string path = WriteMisaligned();
  const PassResult r = SumEveryTensor(path, /*release=*/true);
  EXPECT_EQ(r.tensors, kTensors);
  EXPECT_EQ(r.misaligned, kTensors);  // every array took the copy-on-Contiguous path
  EXPECT_LT(r.peak_growth, 3 * kTensorBytes) << "peak RSS growth " << r.peak_growth;
  std::printf("misaligned: %d tensors, peak RSS growth %.1f MiB (bound %.1f MiB)\n", r.tensors,
              r.peak_growth / 1048576.0, 3 * kTensorBytes / 1048576.0);
  std::remove(path.c_str());
}

// Control: without ReleasePages the same pass keeps the whole archive resident, so the bound above
// is measuring something (a no-op ReleasePages would fail the tests above).
TEST(NpzMemoryTest, WithoutReleaseTheWholeArchiveStaysResident) {
  const std::string path = WriteAligned();
  const PassResult r = SumEveryTensor(path, /*release=*/false);
  EXPECT_EQ(r.tensors, kTensors);
  EXPECT_GT(r.final_growth, kTensors / 2 * kTensorBytes) << "RSS growth " << r.final_growth;
  std::printf("no release: RSS growth %.1f MiB\n", r.final_growth / 1048576.0);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace tp
