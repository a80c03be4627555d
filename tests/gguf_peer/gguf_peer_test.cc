// Writes GGUF files with tensorport's writer and has the independent @huggingface/gguf parser
// (check_gguf.mjs, Node) compare them with the values make_fixtures.py wrote.
#include <sys/stat.h>
#include <sys/wait.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "formats/gguf/gguf.h"
#include "formats/registry.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir ? dir : "/tmp", "/", name);
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// The folder holding check_gguf.mjs and node_modules: $GGUF_PEER_DIR, or the source folder the
// runfiles point back to.
std::string PeerDir() {
  if (const char* env = std::getenv("GGUF_PEER_DIR"); env != nullptr && *env) return env;
  char resolved[PATH_MAX];
  if (realpath("tests/gguf_peer/check_gguf.mjs", resolved) == nullptr) return "tests/gguf_peer";
  std::string path = resolved;
  return path.substr(0, path.rfind('/'));
}

std::string NodeBinary() {
  for (const char* candidate : {"/usr/bin/node", "/usr/local/bin/node", "/bin/node"}) {
    if (Exists(candidate)) return candidate;
  }
  return "node";
}

// Runs the peer; returns its exit status and appends its output to `output`.
int RunPeer(const std::string& file, const std::string& expected, uint64_t alignment,
            std::string* output) {
  const std::string cmd = absl::StrCat(NodeBinary(), " ", PeerDir(), "/check_gguf.mjs ", file, " ",
                                       expected, " ", alignment, " 2>&1");
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) output->append(buf, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class GgufPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string module = PeerDir() + "/node_modules/@huggingface/gguf/package.json";
    ASSERT_TRUE(Exists(module))
        << "the independent GGUF parser is not installed (" << module
        << " missing): run tests/gguf_peer/setup.sh, or set GGUF_PEER_DIR to a folder holding "
           "check_gguf.mjs and node_modules/@huggingface/gguf";
  }
};

TEST_F(GgufPeerTest, WrittenFilesPassTheIndependentParser) {
  absl::StatusOr<Checkpoint> ckpt = ReadCheckpoint("formats/gguf/indie.gguf", "gguf");
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  for (uint64_t alignment : {32u, 64u, 256u}) {
    SCOPED_TRACE(alignment);
    const std::string out = TempPath(absl::StrCat("peer", alignment, ".gguf"));
    WriteOptions options;
    options.alignment = alignment;
    absl::Status s = WriteCheckpoint(out, "gguf", *ckpt, options);
    ASSERT_TRUE(s.ok()) << s;
    std::string output;
    EXPECT_EQ(RunPeer(out, "formats/gguf/indie_expected.json", alignment, &output), 0) << output;
    EXPECT_NE(output.find("check_gguf: OK (11 tensors"), std::string::npos) << output;
  }
}

// Runs ggml's reader (ggml_gguf.py: gguf_init_from_file with data) on `file`.
int RunGgml(const std::string& file, std::string* output) {
  const std::string cmd =
      absl::StrCat("/usr/bin/python3 ", PeerDir(), "/ggml_gguf.py ", file, " 2>&1");
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) output->append(buf, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ggml itself loads every file written here, with data, at every alignment; the one thing it
// refuses is an array of arrays in the metadata (GGUF allows it; ggml v0.5.0's reader does not),
// which the fixture holds on purpose.
TEST_F(GgufPeerTest, GgmlLoadsTheWrittenFiles) {
  absl::StatusOr<Checkpoint> ckpt = ReadCheckpoint("formats/gguf/indie.gguf", "gguf");
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  const std::string nested = TempPath("ggml_nested.gguf");
  ASSERT_TRUE(WriteCheckpoint(nested, "gguf", *ckpt).ok());
  std::string output;
  EXPECT_EQ(RunGgml(nested, &output), 1) << output;
  EXPECT_NE(output.find("invalid GGUF type 9"), std::string::npos) << output;

  Checkpoint flat = *ckpt;
  Metadata kept;
  for (auto& kv : flat.metadata) {
    if (kv.first.rfind("arr.nested", 0) != 0) kept.push_back(kv);
  }
  flat.metadata = kept;
  for (uint64_t alignment : {32u, 64u, 256u}) {
    SCOPED_TRACE(alignment);
    const std::string out = TempPath(absl::StrCat("ggml", alignment, ".gguf"));
    WriteOptions options;
    options.alignment = alignment;
    ASSERT_TRUE(WriteCheckpoint(out, "gguf", flat, options).ok());
    output.clear();
    EXPECT_EQ(RunGgml(out, &output), 0) << output;
    EXPECT_NE(output.find("ggml: 11 tensors, "), std::string::npos) << output;
  }
}

// The check must be able to fail: a flipped data byte and a wrong alignment are caught.
TEST_F(GgufPeerTest, PeerCatchesDamage) {
  absl::StatusOr<Checkpoint> ckpt = ReadCheckpoint("formats/gguf/indie.gguf", "gguf");
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  const std::string out = TempPath("damaged.gguf");
  ASSERT_TRUE(WriteCheckpoint(out, "gguf", *ckpt).ok());
  std::string output;
  EXPECT_EQ(RunPeer(out, "formats/gguf/indie_expected.json", 64, &output), 1) << output;
  std::string bytes;
  {
    std::ifstream in(out, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes[bytes.size() - 40] ^= 0x01;  // inside the last non-empty tensor's data or padding
  bytes[bytes.size() / 2] ^= 0x10;
  std::ofstream(out, std::ios::binary | std::ios::trunc) << bytes;
  output.clear();
  EXPECT_EQ(RunPeer(out, "formats/gguf/indie_expected.json", 32, &output), 1) << output;
}

}  // namespace
}  // namespace tp
