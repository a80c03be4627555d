#include "core/tensor_reader.h"
#include "formats/npy/npy.h"

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/testing/test_util.h"
#include "formats/npy/npz.h"
#include "formats/registry.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

using ::tp::testutil::FileExists;
using ::tp::testutil::ForEachPrefixFile;
using ::tp::testutil::ReadFileBytes;
using ::tp::testutil::RunCommand;
using ::tp::testutil::TempPath;
using ::tp::testutil::WriteFileBytes;

const char kDir[] = "formats/npy/";

std::string Fixture(absl::string_view name) { return absl::StrCat(kDir, name); }

struct Expected {
  std::string file;
  std::string entry;  // "-" for .npy
  std::string dtype;
  Shape shape;
  std::string bytes;  // little-endian, C order, written by NumPy
};

// npy_expected.txt/.bin, written by make_npy_fixtures.py.
std::vector<Expected> LoadExpected() {
  std::vector<Expected> out;
  const std::string blob = ReadFileBytes(Fixture("npy_expected.bin"));
  std::ifstream f(Fixture("npy_expected.txt"));
  std::string line;
  while (std::getline(f, line)) {
    std::vector<std::string> p = absl::StrSplit(line, ' ');
    if (p.size() != 6) continue;
    Expected e{p[0], p[1], p[2], {}, ""};
    absl::string_view dims = p[3];
    absl::ConsumePrefix(&dims, "[");
    absl::ConsumeSuffix(&dims, "]");
    if (!dims.empty()) {
      for (absl::string_view d : absl::StrSplit(dims, ',')) {
        int64_t v = 0;
        EXPECT_TRUE(absl::SimpleAtoi(d, &v)) << line;
        e.shape.push_back(v);
      }
    }
    e.bytes = blob.substr(std::stoull(p[4]), std::stoull(p[5]));
    out.push_back(std::move(e));
  }
  return out;
}

std::string PackedBytes(const Tensor& t) {
  absl::StatusOr<Tensor> c = t.Contiguous();
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return "";
  EXPECT_TRUE(c->is_packed());
  return std::string(reinterpret_cast<const char*>(c->data()), c->nbytes());
}

TEST(NpyTest, FixturesMatchNumPy) {
  const std::vector<Expected> expected = LoadExpected();
  ASSERT_EQ(expected.size(), 36u);
  std::map<std::string, Checkpoint> npz;
  std::map<std::string, size_t> npz_next;  // entry order check
  int checked = 0;
  for (const Expected& e : expected) {
    SCOPED_TRACE(absl::StrCat(e.file, " ", e.entry));
    Tensor t;
    if (e.entry == "-") {
      absl::StatusOr<Tensor> r = ReadNpyFile(Fixture(e.file));
      ASSERT_TRUE(r.ok()) << r.status();
      t = *r;
    } else {
      if (!npz.count(e.file)) {
        absl::StatusOr<Checkpoint> r = ReadNpzFile(Fixture(e.file));
        ASSERT_TRUE(r.ok()) << r.status();
        EXPECT_TRUE(r->warnings.empty());
        npz[e.file] = std::move(*r);
      }
      const Checkpoint& c = npz[e.file];
      const size_t i = npz_next[e.file]++;
      ASSERT_LT(i, c.tensors.size());
      EXPECT_EQ(c.tensors[i].name, e.entry);  // archive order, ".npy" dropped
      t = c.tensors[i].tensor;
    }
    EXPECT_EQ(DTypeName(t.dtype()), e.dtype);
    EXPECT_EQ(t.shape(), e.shape);
    // Deflated entries are streamed (read block by block, in their own byte order); in stored
    // files big-endian and Fortran data are converted on read and the rest are views, possibly
    // misaligned (np.savez), and then not packed until Contiguous().
    EXPECT_TRUE(t.strides().empty());
    if (e.file == "compressed.npz" && e.entry != "mid.layer") {
      EXPECT_TRUE(t.is_streamed());
      EXPECT_FALSE(t.is_packed());
    } else {
      EXPECT_FALSE(t.is_streamed());
      EXPECT_EQ(t.byte_order(), ByteOrder::kLittle);
      EXPECT_EQ(t.is_packed(), t.is_aligned());
    }
    EXPECT_EQ(PackedBytes(t), e.bytes);
    // The block reader yields the same bytes, in blocks of 3 elements (q8_0 aside).
    std::string blocks;
    const absl::Status read = ForEachBlock(t, 3, [&](const TensorBlock& b) {
      blocks.append(reinterpret_cast<const char*>(b.data), b.bytes);
      return absl::OkStatus();
    });
    EXPECT_TRUE(read.ok()) << read;
    EXPECT_EQ(blocks, e.bytes);
    ++checked;
  }
  EXPECT_EQ(checked, 36);
  for (const auto& [file, ckpt] : npz) EXPECT_EQ(npz_next[file], ckpt.tensors.size()) << file;
}

TEST(NpyTest, LittleEndianDataIsAViewIntoTheFile) {
  absl::StatusOr<Tensor> t = ReadNpyFile(Fixture("f32.npy"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->is_view());
  // np.savez leaves array data at misaligned offsets: still views (no copy on read), not packed
  // where misaligned, and Contiguous() gives an aligned copy of the same bytes.
  absl::StatusOr<Checkpoint> z = ReadNpzFile(Fixture("stored.npz"));
  ASSERT_TRUE(z.ok()) << z.status();
  int misaligned = 0;
  for (const NamedTensor& t : z->tensors) {
    // The fixture's Fortran-ordered "mid.layer" and big-endian "half" are converted on read.
    const bool converted = t.name == "mid.layer" || t.name == "half";
    EXPECT_EQ(t.tensor.is_view(), !converted) << t.name;
    EXPECT_EQ(t.tensor.mapped_file() != nullptr, !converted) << t.name;
    if (converted || t.tensor.is_aligned()) continue;
    ++misaligned;
    EXPECT_FALSE(t.tensor.is_packed()) << t.name;
    absl::StatusOr<Tensor> c = t.tensor.Contiguous();
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_FALSE(c->is_view());
    EXPECT_TRUE(c->is_packed());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(c->data()) % ElementSize(c->dtype()), 0u);
    EXPECT_EQ(0, std::memcmp(c->data(), t.tensor.data(), c->nbytes())) << t.name;
  }
  EXPECT_GT(misaligned, 0);  // the fixture must exercise the misaligned path
  // Our writer aligns stored entries to 64 bytes, so what it writes reads back as packed views.
  const std::string ours = TempPath("views.npz");
  ASSERT_TRUE(WriteNpzFile(ours, z->tensors).ok());
  absl::StatusOr<Checkpoint> back = ReadNpzFile(ours);
  ASSERT_TRUE(back.ok()) << back.status();
  for (const NamedTensor& t : back->tensors) {
    EXPECT_TRUE(t.tensor.is_view()) << t.name;
    EXPECT_TRUE(t.tensor.is_packed()) << t.name;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.tensor.data()) % 64, 0u) << t.name;
  }
  // Converted on read: owned.
  absl::StatusOr<Tensor> be = ReadNpyFile(Fixture("be_f32.npy"));
  ASSERT_TRUE(be.ok()) << be.status();
  EXPECT_FALSE(be->is_view());
  // A hand-made header leaves f64 data misaligned: a view, not packed, copied by Contiguous().
  absl::StatusOr<Tensor> odd = ReadNpyFile(Fixture("unaligned_f64.npy"));
  ASSERT_TRUE(odd.ok()) << odd.status();
  EXPECT_TRUE(odd->is_view());
  EXPECT_NE(reinterpret_cast<uintptr_t>(odd->data()) % 8, 0u);
  EXPECT_FALSE(odd->is_packed());
  absl::StatusOr<Tensor> odd_packed = odd->Contiguous();
  ASSERT_TRUE(odd_packed.ok()) << odd_packed.status();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(odd_packed->data()) % 8, 0u);
  // Deflated entries are inflated into heap buffers: nothing of the file to release.
  absl::StatusOr<Checkpoint> deflated = ReadNpzFile(Fixture("compressed.npz"));
  ASSERT_TRUE(deflated.ok()) << deflated.status();
  for (const NamedTensor& t : deflated->tensors) {
    EXPECT_EQ(t.tensor.mapped_file(), nullptr) << t.name;
    t.tensor.ReleasePages();  // a no-op
  }
}

TEST(NpyTest, HeaderSizesBeyondTheFileFailWithoutAllocating) {
  struct Case {
    const char* file;
    absl::StatusCode code;
    const char* substr;
  };
  for (const Case& c : {
           Case{"bad_huge.npy", absl::StatusCode::kOutOfRange, "needs 4000000000 data bytes"},
           Case{"bad_huge_v2.npy", absl::StatusCode::kOutOfRange, "needs 8796093022208"},
           Case{"bad_overflow.npy", absl::StatusCode::kInvalidArgument, "too large"},
           Case{"bad_complex.npy", absl::StatusCode::kUnimplemented, "'<c8'"},
           Case{"bad_u16.npy", absl::StatusCode::kUnimplemented, "'<u2'"},
           Case{"bad_structured.npy", absl::StatusCode::kUnimplemented, "structured"},
       }) {
    const std::string path = Fixture(c.file);
    absl::StatusOr<Tensor> t = ReadNpyFile(path);
    ASSERT_FALSE(t.ok()) << c.file;
    EXPECT_EQ(t.status().code(), c.code) << t.status();
    EXPECT_TRUE(absl::StartsWith(t.status().message(), path)) << t.status();
    EXPECT_TRUE(absl::StrContains(t.status().message(), c.substr)) << t.status();
    EXPECT_EQ(t.status().message().find('\n'), std::string::npos) << t.status();
  }
}

TEST(NpyTest, MalformedHeadersFail) {
  const std::string good = ReadFileBytes(Fixture("f32.npy"));
  ASSERT_GT(good.size(), 128u);
  auto with_header = [](absl::string_view dict, char major = 1) {
    std::string h = std::string("\x93NUMPY", 6);
    h.push_back(major);
    h.push_back('\0');
    h.push_back(static_cast<char>(dict.size() & 0xff));
    h.push_back(static_cast<char>(dict.size() >> 8));
    if (major != 1) h.append(2, '\0');
    return absl::StrCat(h, dict, std::string(64, '\0'));
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"version.npy", with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 4)},
      {"nodict.npy", with_header("['descr', '<f4']")},
      {"nokey.npy", with_header("{'descr': '<f4', 'shape': (2,), }")},
      {"extrakey.npy",
       with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}")},
      {"negdim.npy", with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }")},
      {"badbool.npy", with_header("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }")},
      {"unclosed.npy", with_header("{'descr': '<f4, 'fortran_order': False, 'shape': (2,")},
      {"bigdim.npy", with_header("{'descr': '<f4', 'fortran_order': False, "
                                 "'shape': (99999999999999999999,), }")},
      {"magic.npy", "\x93NUMPX" + good.substr(6)},
  };
  for (const auto& [name, bytes] : cases) {
    const std::string path = TempPath(name);
    WriteFileBytes(path, bytes);
    absl::StatusOr<Tensor> t = ReadNpyFile(path);
    ASSERT_FALSE(t.ok()) << name;
    EXPECT_TRUE(absl::StartsWith(t.status().message(), path)) << t.status();
  }
}

// Found by tools/fuzz/npy.sh: an empty array whose other dimensions are huge. NumPy 1.24 refuses
// np.empty(shape) for the first two shapes ("array is too big": the non-zero dims overflow) and
// accepts the third as an empty array; in every layout we must agree and never form the
// overflowing stride products.
TEST(NpyTest, EmptyArraysWithHugeDimensionsInEveryLayout) {
  struct Case {
    const char* shape;
    bool ok;
  };
  for (const char* descr : {"<f4", ">f4", ">f8", "|u1"}) {
    for (const char* fortran : {"False", "True"}) {
      for (const Case& c : {Case{"(0, 99511627776, 17776, 109987776)", false},
                            Case{"(99511627776, 109987776, 777776, 0)", false},
                            Case{"(99511627776, 0, 92681)", true}}) {
        const std::string dict = absl::StrCat("{'descr': '", descr, "', 'fortran_order': ",
                                              fortran, ", 'shape': ", c.shape, ", }\n");
        std::string bytes("\x93NUMPY\x01\x00", 8);
        bytes.push_back(static_cast<char>(dict.size() & 0xff));
        bytes.push_back(static_cast<char>(dict.size() >> 8));
        bytes += dict;
        auto owned = std::make_shared<std::string>(bytes);
        SCOPED_TRACE(dict);
        absl::StatusOr<Tensor> t = ParseNpy(*owned, owned, "empty.npy");
        if (!c.ok) {
          ASSERT_FALSE(t.ok());
          EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << t.status();
          EXPECT_TRUE(absl::StrContains(t.status().message(), "too large")) << t.status();
          continue;
        }
        ASSERT_TRUE(t.ok()) << t.status();
        EXPECT_EQ(t->num_elements(), 0);
        // The header's dimensions as written: "(a, b)" -> "[a, b]".
        EXPECT_EQ(ShapeToString(t->shape()),
                  absl::StrCat("[", absl::StripSuffix(absl::StripPrefix(c.shape, "("), ")"), "]"));
        absl::StatusOr<Tensor> packed = t->Contiguous();
        ASSERT_TRUE(packed.ok()) << packed.status();
        EXPECT_EQ(packed->nbytes(), 0);
      }
    }
  }
}

TEST(NpyTest, EveryTruncationFailsCleanly) {
  for (const char* name : {"f32.npy", "v2_f32.npy", "scalar_bool.npy"}) {
    const std::string full = ReadFileBytes(Fixture(name));
    const std::string path = TempPath(absl::StrCat("trunc_", name));
    ASSERT_NO_FATAL_FAILURE(ForEachPrefixFile(full, path, [&](size_t len) {
      absl::StatusOr<Tensor> t = ReadNpyFile(path);
      ASSERT_FALSE(t.ok()) << name << " truncated to " << len << " bytes was accepted";
      EXPECT_TRUE(absl::StartsWith(t.status().message(), path)) << t.status();
    }));
  }
}

TEST(NpzTest, EveryTruncationFailsCleanly) {
  for (const char* name : {"stored.npz", "compressed.npz"}) {
    const std::string full = ReadFileBytes(Fixture(name));
    ASSERT_LT(full.size(), 8192u);
    const std::string path = TempPath(absl::StrCat("trunc_", name));
    ASSERT_NO_FATAL_FAILURE(ForEachPrefixFile(full, path, [&](size_t len) {
      absl::StatusOr<Checkpoint> c = ReadNpzFile(path);
      ASSERT_FALSE(c.ok()) << name << " truncated to " << len << " bytes was accepted";
      EXPECT_TRUE(absl::StartsWith(c.status().message(), path)) << c.status();
    }));
  }
}

TEST(NpzTest, CorruptBytesNeverCrash) {
  const std::string full = ReadFileBytes(Fixture("compressed.npz"));
  const std::string path = TempPath("corrupt.npz");
  for (size_t i = 0; i < full.size(); ++i) {
    std::string bad = full;
    bad[i] = static_cast<char>(~bad[i]);
    WriteFileBytes(path, bad);
    absl::StatusOr<Checkpoint> c = ReadNpzFile(path);
    if (!c.ok()) {
      EXPECT_TRUE(absl::StartsWith(c.status().message(), path)) << c.status();
    }
  }
}

TEST(NpyTest, NumPyReadsWhatWeWrite) {
  const std::vector<Expected> expected = LoadExpected();
  std::string args;
  int files = 0;
  for (const Expected& e : expected) {
    if (e.entry != "-") continue;
    absl::StatusOr<Tensor> t = ReadNpyFile(Fixture(e.file));
    ASSERT_TRUE(t.ok()) << t.status();
    const std::string ours = TempPath(absl::StrCat("ours_", e.file));
    ASSERT_TRUE(WriteNpyFile(ours, *t).ok()) << e.file;
    absl::StrAppend(&args, " ", Fixture(e.file), " ", ours);
    ++files;
  }
  for (const char* npz : {"stored.npz", "compressed.npz"}) {
    absl::StatusOr<Checkpoint> c = ReadNpzFile(Fixture(npz));
    ASSERT_TRUE(c.ok()) << c.status();
    for (bool compress : {false, true}) {
      const std::string ours = TempPath(absl::StrCat("ours_", compress, "_", npz));
      ASSERT_TRUE(WriteNpzFile(ours, c->tensors, {.compress = compress}).ok());
      absl::StrAppend(&args, " ", Fixture(npz), " ", ours);
      ++files;
    }
  }
  ASSERT_EQ(files, 26 + 4);
  int rc = 0;
  const std::string out =
      RunCommand(absl::StrCat("/usr/bin/python3 ", Fixture("npy_roundtrip_check.py"), args), &rc);
  EXPECT_EQ(rc, 0) << out;
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), static_cast<size_t>(files)) << out;
  for (const std::string& l : lines) EXPECT_EQ(l, "ok");
}

TEST(NpyTest, WrittenDataIsAlignedAndHeaderIsNumPyStyle) {
  const std::string path = TempPath("scalar.npy");
  ASSERT_TRUE(WriteNpyFile(path, TensorFromFloats({}, {2.5f})).ok());
  const std::string bytes = ReadFileBytes(path);
  ASSERT_GT(bytes.size(), 4u);
  EXPECT_EQ((bytes.size() - 4) % 64, 0u);
  EXPECT_TRUE(absl::StrContains(bytes, "'shape': (), }")) << bytes;
  EXPECT_EQ(bytes[bytes.size() - 5], '\n');
}

TEST(NpyTest, Bf16AndQ8HaveNoNumPyDtype) {
  const std::string path = TempPath("bf16.npy");
  absl::Status s = WriteNpyFile(path, Tensor::Zeros(DType::kBF16, {4}));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "bf16")) << s;
  EXPECT_FALSE(FileExists(path));
  const std::string npz = TempPath("q8.npz");
  s = WriteNpzFile(npz, {{"a", Tensor::Zeros(DType::kF32, {2})},
                         {"q", Tensor::Zeros(DType::kQ8_0, {32})}});
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "\"q\"")) << s;
  EXPECT_FALSE(FileExists(npz));
}

TEST(RegistryTest, DetectsReadsAndWritesNpyAndNpz) {
  for (const auto& [file, id] : std::vector<std::pair<std::string, std::string>>{
           {"f32.npy", "npy"}, {"stored.npz", "npz"}, {"compressed.npz", "npz"}}) {
    absl::StatusOr<const FormatHandler*> f = DetectFormat(Fixture(file));
    ASSERT_TRUE(f.ok()) << f.status();
    EXPECT_EQ((*f)->id, id);
  }
  absl::StatusOr<Checkpoint> c = ReadCheckpoint(Fixture("f32.npy"));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->tensors.size(), 1u);
  EXPECT_EQ(c->tensors[0].name, "f32");
  EXPECT_EQ(c->format, "npy");

  absl::StatusOr<Checkpoint> z = ReadCheckpoint(Fixture("compressed.npz"));
  ASSERT_TRUE(z.ok()) << z.status();
  const std::string out = TempPath("registry.npz");
  absl::StatusOr<const FormatHandler*> by_ext = FormatForExtension(out);
  ASSERT_TRUE(by_ext.ok()) << by_ext.status();
  EXPECT_EQ((*by_ext)->id, "npz");
  ASSERT_TRUE(WriteCheckpoint(out, "npz", *z).ok());
  absl::StatusOr<Checkpoint> back = ReadCheckpoint(out);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->tensors.size(), z->tensors.size());
  for (size_t i = 0; i < z->tensors.size(); ++i) {
    EXPECT_EQ(back->tensors[i].name, z->tensors[i].name);
    EXPECT_EQ(PackedBytes(back->tensors[i].tensor), PackedBytes(z->tensors[i].tensor));
  }
  // A .npy holds one array.
  absl::Status s = WriteCheckpoint(TempPath("two.npy"), "npy", *z);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

}  // namespace
}  // namespace tp
