#include "formats/zip/zip.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/mapped_file.h"
#include "core/testing/test_util.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

using ::tp::testutil::ForEachPrefixFile;
using ::tp::testutil::ReadFileBytes;
using ::tp::testutil::RunCommand;
using ::tp::testutil::TempPath;
using ::tp::testutil::WriteFileBytes;

const char kDir[] = "formats/zip/";

struct Expected {
  std::string name;
  int method;
  uint64_t size;
  uint32_t crc;
  uint64_t blob_offset;
};

// zip_expected.txt, written by make_zip_fixtures.py from what Python's zipfile reads back.
std::map<std::string, std::vector<Expected>> LoadExpected() {
  std::map<std::string, std::vector<Expected>> out;
  std::ifstream f(absl::StrCat(kDir, "zip_expected.txt"));
  std::string line;
  while (std::getline(f, line)) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    if (parts.size() != 6) continue;
    out[parts[0]].push_back({parts[1], std::stoi(parts[2]), std::stoull(parts[3]),
                             static_cast<uint32_t>(std::stoull(parts[4])),
                             std::stoull(parts[5])});
  }
  return out;
}

TEST(ZipReaderTest, ReadsArchivesWrittenByPythonZipfile) {
  const auto expected = LoadExpected();
  const std::string blob = ReadFileBytes(absl::StrCat(kDir, "zip_expected.bin"));
  ASSERT_EQ(expected.size(), 5u);
  for (const auto& [archive, entries] : expected) {
    SCOPED_TRACE(archive);
    auto zip = ZipReader::Open(absl::StrCat(kDir, archive));
    ASSERT_TRUE(zip.ok()) << zip.status();
    ASSERT_EQ((*zip)->entries().size(), entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      const ZipEntry& e = (*zip)->entries()[i];
      SCOPED_TRACE(e.name);
      EXPECT_EQ(e.name, entries[i].name);  // central-directory order kept
      EXPECT_EQ(e.method, entries[i].method);
      EXPECT_EQ(e.uncompressed_size, entries[i].size);
      EXPECT_EQ(e.crc32, entries[i].crc);
      auto data = (*zip)->Read(e, /*verify_crc=*/true);
      ASSERT_TRUE(data.ok()) << data.status();
      EXPECT_EQ(data->bytes(), absl::string_view(blob).substr(entries[i].blob_offset,
                                                              entries[i].size));
      if (e.method == 0 && e.uncompressed_size > 0) {
        // Stored entries are views into the mapping, not copies.
        const char* base = (*zip)->file()->bytes().data();
        EXPECT_EQ(data->bytes().data(), base + e.data_offset);
      }
      // The mapping is handed out exactly when the bytes lie in it (stored entries).
      EXPECT_EQ(data->mapped_file() == (*zip)->file(), e.method == 0);
      if (e.method != 0) EXPECT_EQ(data->mapped_file(), nullptr);
    }
    EXPECT_NE((*zip)->Find("a.bin"), nullptr);
    EXPECT_EQ((*zip)->Find("missing"), nullptr);
  }
}

TEST(ZipReaderTest, DeclaredSizeBeyondDeflateRatioFailsWithoutAllocating) {
  const std::string path = absl::StrCat(kDir, "bad_bomb.zip");
  auto zip = ZipReader::Open(path);
  ASSERT_TRUE(zip.ok()) << zip.status();
  ASSERT_EQ((*zip)->entries().size(), 1u);
  EXPECT_EQ((*zip)->entries()[0].uncompressed_size, 1000000000000ull);
  auto data = (*zip)->Read((*zip)->entries()[0]);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(data.status().message(), path)) << data.status();
  EXPECT_TRUE(absl::StrContains(data.status().message(), "bomb.npy")) << data.status();
}

TEST(ZipReaderTest, InflatingPastDeclaredSizeFails) {
  const std::string path = absl::StrCat(kDir, "bad_short.zip");
  auto zip = ZipReader::Open(path);
  ASSERT_TRUE(zip.ok()) << zip.status();
  const ZipEntry* e = (*zip)->Find("zeros");
  ASSERT_NE(e, nullptr);
  auto data = (*zip)->Read(*e);
  ASSERT_FALSE(data.ok());
  EXPECT_TRUE(absl::StrContains(data.status().message(), "more than the declared 4000"))
      << data.status();
}

TEST(ZipReaderTest, CrcMismatchFails) {
  auto zip = ZipReader::Open(absl::StrCat(kDir, "bad_crc.zip"));
  ASSERT_TRUE(zip.ok()) << zip.status();
  auto data = (*zip)->Read(*(*zip)->Find("a.bin"));
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(data.status().message(), "CRC-32")) << data.status();
}

// Resident kB of this process's mapping that starts at `start` (/proc/self/smaps), -1 if absent.
int64_t MappingRssKb(const void* start) {
  std::ifstream in("/proc/self/smaps");
  const uintptr_t want = reinterpret_cast<uintptr_t>(start);
  std::string line;
  bool in_mapping = false;
  while (std::getline(in, line)) {
    const size_t dash = line.find('-');
    if (dash != std::string::npos && dash > 0 && line.find(' ') > dash &&
        std::isxdigit(static_cast<unsigned char>(line[0]))) {
      in_mapping = std::stoull(line.substr(0, dash), nullptr, 16) == want;
      continue;
    }
    if (in_mapping && line.rfind("Rss:", 0) == 0) return std::atoll(line.c_str() + 4);
  }
  return -1;
}

// The scan reads local headers without faulting the mapping in: a stored archive of 64 entries
// of 1 MiB (written by Python's zipfile) must leave fewer resident pages of the mapping than it
// has entries (reading each header through the mapping touches one page per entry at least).
TEST(ZipReaderTest, HeaderScanLeavesTheMappingCold) {
  const std::string path = TempPath("cold_scan.zip");
  int rc = 0;
  const std::string out = RunCommand(
      absl::StrCat("/usr/bin/python3 -c 'import sys, zipfile\n"
                   "with zipfile.ZipFile(sys.argv[1], \"w\", zipfile.ZIP_STORED) as z:\n"
                   "    [z.writestr(\"e%02d\" % i, bytes([i]) * (1 << 20)) for i in range(64)]' ",
                   path, " 2>&1"),
      &rc);
  ASSERT_EQ(rc, 0) << out;
  absl::StatusOr<std::shared_ptr<const MappedFile>> file = MappedFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  const void* base = (*file)->data();
  auto zip = ZipReader::FromMapped(*file);
  ASSERT_TRUE(zip.ok()) << zip.status();
  ASSERT_EQ((*zip)->entries().size(), 64u);
  const int64_t rss_kb = MappingRssKb(base);
  ASSERT_GE(rss_kb, 0) << "mapping not found in /proc/self/smaps";
  EXPECT_LT(rss_kb, 64 * 4) << "kB of the archive resident after the header scan";
  // The offsets found without the mapping are right: each entry holds its index.
  for (int i : {0, 17, 63}) {
    const ZipEntry& e = (*zip)->entries()[i];
    EXPECT_EQ(e.name, absl::StrFormat("e%02d", i));
    auto data = (*zip)->Read(e, true);
    ASSERT_TRUE(data.ok()) << data.status();
    ASSERT_EQ(data->bytes().size(), 1u << 20);
    EXPECT_EQ(data->bytes().front(), static_cast<char>(i));
    EXPECT_EQ(data->bytes().back(), static_cast<char>(i));
  }
}

// When the path no longer names the mapped file (replaced by a rename since it was mapped),
// the headers come from the mapping, which still holds the archive that was opened.
TEST(ZipReaderTest, ScanUsesTheMappingWhenThePathWasReplaced) {
  const std::string path = TempPath("replaced.zip");
  ASSERT_TRUE(WriteFileBytes(path, ReadFileBytes(absl::StrCat(kDir, "stored.zip"))));
  absl::StatusOr<std::shared_ptr<const MappedFile>> file = MappedFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  const std::string other = TempPath("replacement.bin");
  ASSERT_TRUE(WriteFileBytes(other, "not the archive"));
  ASSERT_EQ(std::rename(other.c_str(), path.c_str()), 0);
  auto zip = ZipReader::FromMapped(*file);
  ASSERT_TRUE(zip.ok()) << zip.status();
  const auto expected = LoadExpected();
  const auto& want = expected.at("stored.zip");
  ASSERT_EQ((*zip)->entries().size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*zip)->entries()[i].name, want[i].name);
    EXPECT_EQ((*zip)->entries()[i].crc32, want[i].crc);
    EXPECT_TRUE((*zip)->Read((*zip)->entries()[i], true).ok()) << want[i].name;
  }
}

// Opens and reads every entry; returns the first error.
absl::Status OpenAndReadAll(const std::string& path) {
  auto zip = ZipReader::Open(path);
  if (!zip.ok()) return zip.status();
  for (const ZipEntry& e : (*zip)->entries()) {
    auto data = (*zip)->Read(e, true);
    if (!data.ok()) return data.status();
  }
  return absl::OkStatus();
}

TEST(ZipReaderTest, EveryTruncationFailsCleanly) {
  for (const char* name : {"stored.zip", "deflated.zip", "zip64_full.zip"}) {
    const std::string full = ReadFileBytes(absl::StrCat(kDir, name));
    ASSERT_FALSE(full.empty());
    const std::string path = TempPath(absl::StrCat("trunc_", name));
    ASSERT_NO_FATAL_FAILURE(ForEachPrefixFile(full, path, [&](size_t len) {
      absl::Status s = OpenAndReadAll(path);
      ASSERT_FALSE(s.ok()) << name << " truncated to " << len << " bytes was accepted";
      EXPECT_TRUE(absl::StrContains(s.message(), path)) << s;
      EXPECT_EQ(s.message().find('\n'), std::string::npos) << s;
    }));
  }
}

TEST(ZipReaderTest, CorruptBytesNeverCrash) {
  // Every byte replaced by a few values: any outcome but a crash (or, under --config=asan, an
  // out-of-bounds read) is acceptable; errors must name the file.
  for (const char* name : {"deflated.zip", "zip64_full.zip"}) {
    const std::string full = ReadFileBytes(absl::StrCat(kDir, name));
    const std::string path = TempPath(absl::StrCat("corrupt_", name));
    int failures = 0;
    for (size_t i = 0; i < full.size(); ++i) {
      for (unsigned char v : {0x00, 0xff, 0x7f}) {
        std::string bad = full;
        if (static_cast<unsigned char>(bad[i]) == v) continue;
        bad[i] = static_cast<char>(v);
        WriteFileBytes(path, bad);
        absl::Status s = OpenAndReadAll(path);
        if (!s.ok()) {
          ++failures;
          EXPECT_TRUE(absl::StrContains(s.message(), path)) << s;
        }
      }
    }
    EXPECT_GT(failures, 0);
  }
}

TEST(ZipReaderTest, GarbageAndEmptyFilesFail) {
  const std::string empty = TempPath("empty.zip");
  WriteFileBytes(empty, "");
  absl::Status s = OpenAndReadAll(empty);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange) << s;
  const std::string garbage = TempPath("garbage.zip");
  WriteFileBytes(garbage, std::string(1000, 'x'));
  s = OpenAndReadAll(garbage);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), garbage)) << s;
}

struct WriterCase {
  const char* name;
  uint16_t method;
  bool zip64;
  uint32_t align;
};

TEST(ZipWriterTest, PythonZipfileReadsWhatWeWrite) {
  const std::vector<std::pair<std::string, std::string>> entries = {
      {"second.npy", std::string(3000, 'a') + "tail"},
      {"first.bin", std::string("\x00\x01\x02\xff", 4)},
      {"empty", ""},
      {"dir/x.npy", std::string(100, '\x7f')},
  };
  for (WriterCase c : {WriterCase{"w_stored.zip", 0, false, 0},
                       WriterCase{"w_deflated.zip", 8, false, 0},
                       WriterCase{"w_zip64.zip", 8, true, 0},
                       WriterCase{"w_zip64_stored_aligned.zip", 0, true, 64},
                       WriterCase{"w_aligned.zip", 0, false, 64}}) {
    SCOPED_TRACE(c.name);
    const std::string path = TempPath(c.name);
    {
      auto out = OutputFile::Create(path);
      ASSERT_TRUE(out.ok()) << out.status();
      ZipWriter w(out->get());
      w.set_force_zip64(c.zip64);
      for (const auto& [name, data] : entries) {
        if (name == "dir/x.npy") {
          // Same bytes given in pieces.
          const absl::string_view pieces[] = {absl::string_view(data).substr(0, 10),
                                              absl::string_view(data).substr(10)};
          ASSERT_TRUE(w.AddParts(name, pieces, c.method, c.align).ok());
        } else {
          ASSERT_TRUE(w.Add(name, data, c.method, c.align).ok());
        }
      }
      ASSERT_TRUE(w.Finish().ok());
      ASSERT_TRUE((*out)->Commit().ok());
    }
    // Python's zipfile is the independent reader: it lists names in order with their data.
    int rc = 0;
    const std::string got = RunCommand(
        absl::StrCat("/usr/bin/python3 -c '"
                     "import sys, zipfile\n"
                     "z = zipfile.ZipFile(sys.argv[1])\n"
                     "assert z.testzip() is None\n"
                     "for i in z.infolist(): print(i.filename, i.compress_type, "
                     "z.read(i).hex())' ",
                     path),
        &rc);
    ASSERT_EQ(rc, 0) << got;
    std::string want;
    for (const auto& [name, data] : entries) {
      std::string hex;
      for (unsigned char ch : data) absl::StrAppend(&hex, absl::Hex(ch, absl::kZeroPad2));
      absl::StrAppend(&want, name, " ", c.method, " ", hex, "\n");
    }
    EXPECT_EQ(got, want);

    // And our reader agrees; aligned stored data starts on the boundary.
    auto zip = ZipReader::Open(path);
    ASSERT_TRUE(zip.ok()) << zip.status();
    ASSERT_EQ((*zip)->entries().size(), entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      const ZipEntry& e = (*zip)->entries()[i];
      EXPECT_EQ(e.name, entries[i].first);
      auto data = (*zip)->Read(e, true);
      ASSERT_TRUE(data.ok()) << data.status();
      EXPECT_EQ(data->bytes(), entries[i].second);
      if (c.align > 1) {
        EXPECT_EQ(e.data_offset % c.align, 0u) << e.name;
      }
    }
  }
}

TEST(ZipWriterTest, RejectsUnknownMethodAndAddAfterFinish) {
  const std::string path = TempPath("w_bad.zip");
  auto out = OutputFile::Create(path);
  ASSERT_TRUE(out.ok());
  ZipWriter w(out->get());
  EXPECT_EQ(w.Add("x", "y", 12).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(w.Add("x", "y").code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tp
