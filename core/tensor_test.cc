#include "core/tensor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>

#include "core/half.h"
#include "core/mapped_file.h"
#include "core/tensor_reader.h"
#include "core/testing/memory_accounting.h"
#include "core/testing/test_util.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

TEST(TensorTest, StridedViewMaterializesTransposeRowMajor) {
  // A 2x3 row-major buffer viewed as its 3x2 transpose (strides 1, 3), as PyTorch's .t() does.
  auto storage = std::make_shared<std::vector<float>>(std::vector<float>{0, 1, 2, 3, 4, 5});
  Tensor t = Tensor::View(DType::kF32, {3, 2}, storage,
                          reinterpret_cast<const uint8_t*>(storage->data()), {1, 3});
  EXPECT_FALSE(t.is_packed());
  absl::StatusOr<Tensor> c = t.Contiguous();
  ASSERT_TRUE(c.ok()) << c.status();
  const float* p = c->data_as<float>();
  EXPECT_EQ(std::vector<float>(p, p + 6), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(TensorTest, BigEndianViewIsSwappedOnMaterialize) {
  auto bytes = std::make_shared<std::vector<uint8_t>>(
      std::vector<uint8_t>{0x3f, 0x80, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00});  // 1.0f, -2.0f
  Tensor t = Tensor::View(DType::kF32, {2}, bytes, bytes->data(), {}, ByteOrder::kBig);
  absl::StatusOr<std::vector<double>> v = ToDoubleVector(t);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, (std::vector<double>{1.0, -2.0}));
}

TEST(TensorTest, CastF32ToF16AndBackRoundsToNearestEven) {
  // 1 + 2^-11 is exactly halfway between 1 and the next f16 (1 + 2^-10): ties to even gives 1.
  Tensor t = TensorFromFloats({3}, {1.0f + 0.00048828125f, 65520.0f, -0.0f});
  absl::StatusOr<Tensor> h = Cast(t, DType::kF16);
  ASSERT_TRUE(h.ok());
  const uint16_t* bits = h->data_as<uint16_t>();
  EXPECT_EQ(bits[0], 0x3c00);
  EXPECT_EQ(bits[1], 0x7c00);  // 65520 rounds up to Inf in f16
  EXPECT_EQ(bits[2], 0x8000);
}

TEST(TensorTest, Q8_0RoundTripStaysWithinHalfAStep) {
  std::vector<float> values(64);
  for (int i = 0; i < 64; ++i) values[i] = std::sin(0.37f * i) * (i < 32 ? 1.0f : 100.0f);
  Tensor t = TensorFromFloats({2, 32}, values);
  absl::StatusOr<Tensor> q = Cast(t, DType::kQ8_0);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->nbytes(), 2 * kQ8_0BlockBytes);
  absl::StatusOr<std::vector<double>> back = ToDoubleVector(*q);
  ASSERT_TRUE(back.ok());
  for (int b = 0; b < 2; ++b) {
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(values[b * 32 + i]));
    const double step = amax / 127.0;
    for (int i = 0; i < 32; ++i) {
      EXPECT_NEAR((*back)[b * 32 + i], values[b * 32 + i], step * 0.5 + amax * 1e-3);
    }
  }
}

TEST(TensorTest, Q8_0RejectsLengthNotMultipleOf32) {
  Tensor t = TensorFromFloats({33}, std::vector<float>(33, 1.0f));
  EXPECT_EQ(Cast(t, DType::kQ8_0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TensorTest, StatsCountNanAndInfSeparately) {
  Tensor t = TensorFromFloats({5}, {1.0f, 3.0f, NAN, INFINITY, -INFINITY});
  absl::StatusOr<TensorStats> s = ComputeStats(t);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->nan_count, 1);
  EXPECT_EQ(s->inf_count, 2);
  EXPECT_EQ(s->count, 2);
  EXPECT_DOUBLE_EQ(s->mean, 2.0);
  EXPECT_DOUBLE_EQ(s->std, 1.0);
  EXPECT_DOUBLE_EQ(s->min, 1.0);
  EXPECT_DOUBLE_EQ(s->max, 3.0);
}

TEST(TensorTest, NumElementsRejectsOverflowAndNegativeDims) {
  EXPECT_EQ(NumElements({1LL << 40, 1LL << 40}).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(NumElements({2, -1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*NumElements({}), 1);
  EXPECT_EQ(*NumElements({3, 0, 5}), 0);
  EXPECT_EQ(*NumElements({0, 1LL << 40, 1LL << 20}), 0);
  // NumPy: np.empty((0, 2**40, 2**40)) raises "array is too big"; so do we, wherever the 0 is.
  EXPECT_EQ(NumElements({0, 1LL << 40, 1LL << 40}).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(NumElements({1LL << 40, 1LL << 40, 0}).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(TensorTest, FromBytesChecksSize) {
  EXPECT_FALSE(Tensor::FromBytes(DType::kF32, {2}, std::string(7, '\0')).ok());
  EXPECT_TRUE(Tensor::FromBytes(DType::kF32, {2}, std::string(8, '\0')).ok());
}

TEST(TensorTest, MisalignedViewIsNotPackedAndContiguousCopiesAligned) {
  // Four floats (1, -2, 0.5, 3e38) starting one byte into the buffer; the big-endian spellings
  // are Python's struct.pack('>f', x).
  const uint8_t raw[] = {0x00, 0x3f, 0x80, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x00,
                         0x00, 0x7f, 0x61, 0xb1, 0xe6};
  auto storage = std::make_shared<std::vector<uint8_t>>(std::begin(raw), std::end(raw));
  // Little-endian: reverse each float's big-endian spelling above.
  for (int i = 0; i < 4; ++i) std::reverse(storage->begin() + 1 + 4 * i, storage->begin() + 5 + 4 * i);
  const uint8_t* base = storage->data();
  ASSERT_EQ(reinterpret_cast<uintptr_t>(base) % 4, 0u);  // vector storage is malloc-aligned
  Tensor t = Tensor::View(DType::kF32, {4}, storage, base + 1);
  EXPECT_TRUE(t.is_view());
  EXPECT_FALSE(t.is_aligned());
  EXPECT_FALSE(t.is_packed());
  absl::StatusOr<Tensor> c = t.Contiguous();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->is_view());
  EXPECT_TRUE(c->is_packed());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(c->data()) % 4, 0u);
  const float* p = c->data_as<float>();
  EXPECT_EQ(std::vector<float>(p, p + 4), (std::vector<float>{1.0f, -2.0f, 0.5f, 3e38f}));
  // Byte-sized types are never misaligned; a misaligned view of them stays a packed view.
  Tensor bytes = Tensor::View(DType::kU8, {3}, storage, base + 1);
  EXPECT_TRUE(bytes.is_packed());
  // Aligned views stay packed views.
  Tensor aligned = Tensor::View(DType::kF32, {4}, storage, base);
  EXPECT_TRUE(aligned.is_packed());
  // Reshaped goes through Contiguous, so it is packed and aligned too.
  absl::StatusOr<Tensor> r = t.Reshaped({2, 2});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->is_packed());
  EXPECT_EQ(r->data_as<float>()[3], 3e38f);
}

TEST(TensorTest, MisalignedBigEndianAndStridedViewsStillMaterialize) {
  // f64 1.5 and -4.0 big-endian (struct.pack('>d', x)) at offset 3, as a 2x1 view with explicit
  // strides.
  std::vector<uint8_t> bytes(3, 0xee);
  const uint8_t be[] = {0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc0, 0x10, 0, 0, 0, 0, 0, 0};
  bytes.insert(bytes.end(), std::begin(be), std::end(be));
  auto storage = std::make_shared<std::vector<uint8_t>>(bytes);
  Tensor t = Tensor::View(DType::kF64, {2, 1}, storage, storage->data() + 3, {1, 1},
                          ByteOrder::kBig);
  EXPECT_FALSE(t.is_packed());
  absl::StatusOr<std::vector<double>> v = ToDoubleVector(t);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, (std::vector<double>{1.5, -4.0}));
}

TEST(TensorTest, ReleasePagesDropsAMappedViewFromTheResidentSet) {
  constexpr int64_t kCount = 8 << 20;  // 32 MiB of f32
  const std::string path = testutil::TempPath("release_pages.bin");
  {
    // value[i] = i % 1000, written with stdio (not the code under test).
    std::vector<float> chunk(1 << 20);
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    for (int64_t start = 0; start < kCount; start += chunk.size()) {
      for (size_t j = 0; j < chunk.size(); ++j) chunk[j] = static_cast<float>((start + j) % 1000);
      ASSERT_EQ(std::fwrite(chunk.data(), sizeof(float), chunk.size(), f), chunk.size());
    }
    ASSERT_EQ(std::fclose(f), 0);
  }
  // Closed form: kCount = 8388608 = 8388 * 1000 + 608, so 8388 full cycles (sum 499500 each)
  // plus 0 + 1 + ... + 607.
  const double expected_sum = 8388.0 * 499500.0 + 607.0 * 608.0 / 2.0;

  absl::StatusOr<std::shared_ptr<const MappedFile>> file = MappedFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  Tensor t = Tensor::View(DType::kF32, {kCount}, *file, (*file)->data());
  EXPECT_EQ(t.mapped_file(), file->get());
  ASSERT_TRUE(t.is_packed());
  auto sum = [&]() {
    double s = 0;
    const float* p = t.data_as<float>();
    for (int64_t i = 0; i < kCount; ++i) s += p[i];
    return s;
  };
  // Pages of this one mapping in this process's page tables (smaps Rss): what ReleasePages
  // controls, whatever the allocator or the rest of the process does.
  const void* mapping = (*file)->data();
  EXPECT_EQ(sum(), expected_sum);
  const int64_t touched = testutil::MappingResidentBytes(mapping);
  EXPECT_EQ(touched, kCount * 4) << "reading every element maps every page";
  t.ReleasePages();
  EXPECT_EQ(testutil::MappingResidentBytes(mapping), 0);
  // The data stays readable: the pages come back from the file.
  EXPECT_EQ(sum(), expected_sum);
  t.ReleasePages();
  EXPECT_EQ(testutil::MappingResidentBytes(mapping), 0);

  // Owned tensors and views without a MappedFile: no-ops.
  Tensor owned = Tensor::Zeros(DType::kF32, {16});
  owned.ReleasePages();
  EXPECT_EQ(owned.mapped_file(), nullptr);
  // A view that names the file but points elsewhere releases nothing (and must not crash).
  std::vector<float> heap(1024, 1.0f);
  Tensor elsewhere = Tensor::View(DType::kF32, {1024}, *file,
                                  reinterpret_cast<const uint8_t*>(heap.data()));
  elsewhere.ReleasePages();
  EXPECT_EQ(heap[1023], 1.0f);
  // A strided view over the mapping (the first 8 MiB, transposed) releases the extent it
  // addresses and nothing else.
  Tensor strided = Tensor::View(DType::kF32, {1024, 2048}, *file, (*file)->data(), {1, 1024});
  ASSERT_TRUE(strided.Contiguous().ok());
  EXPECT_EQ(testutil::MappingResidentBytes(mapping), 8 << 20);
  strided.ReleasePages();
  EXPECT_EQ(testutil::MappingResidentBytes(mapping), 0);
  std::remove(path.c_str());
}

// A mapped view read with TensorBlockReader never maps the file's pages (pread), and yields the
// same values as reading through the mapping; a deliberately misaligned view and a strided view
// read the same way give the expected bytes.
TEST(TensorTest, BlockReaderReadsMappedViewsWithoutMappingPages) {
  constexpr int64_t kCount = 1 << 20;
  const std::string path = testutil::TempPath("block_reader.bin");
  {
    std::vector<float> v(kCount + 1);
    for (int64_t i = 0; i <= kCount; ++i) v[i] = static_cast<float>(i % 977);
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite("x", 1, 1, f), 1u);  // shifts the floats to offset 1
    ASSERT_EQ(std::fwrite(v.data(), sizeof(float), v.size(), f), v.size());
    ASSERT_EQ(std::fclose(f), 0);
  }
  absl::StatusOr<std::shared_ptr<const MappedFile>> file = MappedFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  Tensor t = Tensor::View(DType::kF32, {kCount}, *file, (*file)->data() + 1);
  EXPECT_FALSE(t.is_aligned());
  TensorBlockReader reader(t);
  double sum = 0;
  int64_t blocks = 0;
  while (true) {
    absl::StatusOr<TensorBlock> b = reader.Next(1000);
    ASSERT_TRUE(b.ok()) << b.status();
    if (b->count == 0) break;
    EXPECT_EQ(b->first, blocks * 1000);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b->data) % 4, 0u);
    const float* p = reinterpret_cast<const float*>(b->data);
    for (int64_t i = 0; i < b->count; ++i) sum += p[i];
    ++blocks;
  }
  double expected = 0;
  for (int64_t i = 0; i < kCount; ++i) expected += static_cast<double>(i % 977);
  EXPECT_EQ(sum, expected);
  EXPECT_EQ(blocks, (kCount + 999) / 1000);
  EXPECT_EQ(reader.file_bytes_read(), kCount * 4);
  EXPECT_EQ(testutil::MappingResidentBytes((*file)->data()), 0);

  // Strided (every other element of the first 2N) and big-endian views go through the gather.
  auto storage = std::make_shared<std::vector<uint32_t>>();
  for (uint32_t i = 0; i < 20; ++i) storage->push_back(__builtin_bswap32(i));
  Tensor be = Tensor::View(DType::kI32, {2, 5}, storage,
                           reinterpret_cast<const uint8_t*>(storage->data()), {10, 2},
                           ByteOrder::kBig);
  std::vector<int32_t> got;
  ASSERT_TRUE(ForEachBlock(be, 3, [&](const TensorBlock& b) {
                const int32_t* p = reinterpret_cast<const int32_t*>(b.data);
                got.insert(got.end(), p, p + b.count);
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(got, (std::vector<int32_t>{0, 2, 4, 6, 8, 10, 12, 14, 16, 18}));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace tp
