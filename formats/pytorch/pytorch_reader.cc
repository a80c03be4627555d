#include "formats/pytorch/pytorch_reader.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/optional.h"
#include "core/byte_reader.h"
#include "core/mapped_file.h"
#include "core/status_macros.h"
#include "formats/pytorch/pickle.h"
#include "formats/zip/zip.h"

namespace tp {
namespace {

using Kind = PickleValue::Kind;

// Legacy magic number 0x1950a86a20f9469cfc6c as a pickle LONG1 (little-endian bytes).
constexpr char kLegacyMagic[] = "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";
constexpr int64_t kLegacyProtocolVersion = 1001;
constexpr int kMaxDepth = 200;

// Where a storage's bytes are. Storages of stored zip entries and of legacy files lie in the
// mapping (`file` set: their views can release their pages); a deflated entry was inflated into
// an owned buffer that `keep_alive` holds.
struct StorageData {
  const uint8_t* data = nullptr;
  uint64_t bytes = 0;
  std::shared_ptr<const void> keep_alive;
  std::shared_ptr<const MappedFile> file;
};

// Storages are never copied, not even misaligned ones (legacy files and zips from other writers
// place data anywhere): a misaligned view is not packed, and Tensor::Contiguous() makes the
// aligned copy of one tensor only when a caller needs it.
StorageData MakeStorage(const uint8_t* data, uint64_t bytes, std::shared_ptr<const void> keep_alive,
                        std::shared_ptr<const MappedFile> file) {
  StorageData sd;
  sd.data = data;
  sd.bytes = bytes;
  if (file != nullptr && (data < file->data() || bytes > file->size() ||
                          static_cast<uint64_t>(data - file->data()) > file->size() - bytes)) {
    file = nullptr;  // not inside the mapping: keep it alive, never release its pages
  }
  sd.keep_alive = std::move(keep_alive);
  sd.file = std::move(file);
  return sd;
}

// A persistent id ('storage', torch.<T>Storage, key, location, numel[, view_metadata]) turned
// into a storage value. Data is attached later (legacy files store it after the pickles).
absl::StatusOr<PickleValue*> LoadStorageId(const std::string& source, const PickleValue& pid,
                                           PickleArena& arena) {
  if (pid.kind != Kind::kTuple || pid.list.size() < 5 || pid.list[0]->kind != Kind::kString ||
      pid.list[0]->bytes != "storage") {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": persistent id is ", pid.Describe(),
        ", expected ('storage', type, key, location, numel)"));
  }
  const PickleValue* type = pid.list[1];
  const PickleValue* key = pid.list[2];
  const PickleValue* location = pid.list[3];
  const PickleValue* numel = pid.list[4];
  if (type->kind != Kind::kGlobal || !absl::StartsWith(type->qualname, "torch.")) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": storage type is ", type->Describe(),
                                                   ", expected a torch.<T>Storage class"));
  }
  absl::StatusOr<DType> dtype = TorchStorageDType(type->qualname.substr(6));
  if (!dtype.ok()) {
    return absl::UnimplementedError(absl::StrCat(source, ": storage type ", type->qualname, ": ",
                                                 dtype.status().message()));
  }
  if (!key->IsText() && key->kind != Kind::kInt) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": storage key is ", key->Describe(), ", expected a str"));
  }
  if (numel->kind != Kind::kInt || numel->i < 0) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": storage ", key->Describe(),
                                                   " element count is ", numel->Describe(),
                                                   ", expected an int >= 0"));
  }
  ASSIGN_OR_RETURN(PickleValue * s, arena.New(Kind::kStorage));
  s->dtype = *dtype;
  s->storage_key = key->kind == Kind::kInt ? absl::StrCat(key->i) : key->bytes;
  s->location = location->IsText() ? location->bytes : "";
  s->storage_numel = numel->i;
  // Legacy views: (view_key, offset, size) in elements of the root storage.
  if (pid.list.size() > 5 && pid.list[5]->kind == Kind::kTuple && pid.list[5]->list.size() == 3) {
    const PickleValue* off = pid.list[5]->list[1];
    const PickleValue* size = pid.list[5]->list[2];
    if (off->kind != Kind::kInt || size->kind != Kind::kInt || off->i < 0 || size->i < 0) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": storage ", key->Describe(),
                                                     " view metadata is not (key, offset, size)"));
    }
    s->storage_offset = off->i;
    s->storage_numel = size->i;
  }
  return s;
}

std::string KeyText(const PickleValue* k) {
  switch (k->kind) {
    case Kind::kString:
    case Kind::kBytes: return k->bytes;
    case Kind::kInt: return absl::StrCat(k->i);
    case Kind::kBool: return k->b ? "True" : "False";
    case Kind::kNone: return "None";
    case Kind::kFloat: return absl::StrCat(k->f);
    default: return k->Describe();
  }
}

std::string Join(const std::string& prefix, absl::string_view key) {
  return prefix.empty() ? std::string(key) : absl::StrCat(prefix, ".", key);
}

bool AddOverflows(int64_t a, int64_t b, int64_t* out) { return __builtin_add_overflow(a, b, out); }
bool MulOverflows(int64_t a, int64_t b, int64_t* out) { return __builtin_mul_overflow(a, b, out); }

// A NumPy scalar, pickled as numpy.core.multiarray.scalar(dtype, raw bytes) with the dtype as
// numpy.dtype("f8", False, True) + BUILD state (3, "<", ...): its value, for bool, int, uint and
// f4/f8 kinds; nullopt for anything else (it then stays an opaque object).
absl::optional<MetaValue> NumpyScalar(const PickleValue& v) {
  if (!absl::EndsWith(v.qualname, "multiarray.scalar") || v.args == nullptr ||
      v.args->list.size() != 2 || v.args->list[1]->kind != Kind::kBytes) {
    return absl::nullopt;
  }
  const PickleValue* dtype = v.args->list[0];
  if (dtype->kind != Kind::kObject || !absl::EndsWith(dtype->qualname, "numpy.dtype") ||
      dtype->args == nullptr || dtype->args->list.empty() ||
      dtype->args->list[0]->kind != Kind::kString) {
    return absl::nullopt;
  }
  const std::string& code = dtype->args->list[0]->bytes;
  bool big = false;
  if (dtype->state != nullptr && dtype->state->kind == Kind::kTuple &&
      dtype->state->list.size() > 1 && dtype->state->list[1]->kind == Kind::kString) {
    big = dtype->state->list[1]->bytes == ">";
  }
  std::string raw = v.args->list[1]->bytes;
  if (code.size() != 2 || raw.size() != static_cast<size_t>(code[1] - '0')) return absl::nullopt;
  if (big) std::reverse(raw.begin(), raw.end());
  uint64_t u = 0;
  for (size_t k = 0; k < raw.size(); ++k) u |= uint64_t{static_cast<uint8_t>(raw[k])} << (8 * k);
  const int bits = 8 * static_cast<int>(raw.size());
  switch (code[0]) {
    case 'b':
      if (raw.size() == 1) return MetaValue::Bool(u != 0);
      break;
    case 'i':
      if (bits < 64 && (u >> (bits - 1)) & 1) u |= ~uint64_t{0} << bits;
      return MetaValue::Int(static_cast<int64_t>(u));
    case 'u':
      return u <= static_cast<uint64_t>(INT64_MAX) ? MetaValue::Int(static_cast<int64_t>(u))
                                                   : MetaValue::UInt(u);
    case 'f':
      if (raw.size() == 8) {
        double d;
        std::memcpy(&d, &u, 8);
        return MetaValue::Float(d);
      }
      if (raw.size() == 4) {
        float f;
        uint32_t w = static_cast<uint32_t>(u);
        std::memcpy(&f, &w, 4);
        return MetaValue::Float(f);
      }
      break;
  }
  return absl::nullopt;
}

// Walks the object tree into tensors and metadata.
class Flattener {
 public:
  Flattener(std::string path, const std::map<std::string, StorageData>* storages,
            ByteOrder order, uint64_t max_visits, Checkpoint* out)
      : path_(std::move(path)), storages_(storages), order_(order), visits_left_(max_visits),
        out_(out) {}

  absl::Status Walk(const PickleValue* v, const std::string& name, int depth) {
    if (depth > kMaxDepth) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": item \"", name,
                                                     "\" is nested deeper than ", kMaxDepth,
                                                     " levels (a cycle?)"));
    }
    if (visits_left_-- == 0) {
      return absl::ResourceExhaustedError(absl::StrCat(
          path_, ": object tree expands to too many items at \"", name,
          "\" (shared sub-trees referenced many times?)"));
    }
    switch (v->kind) {
      case Kind::kDict:
        for (const auto& item : v->items) {
          RETURN_IF_ERROR(Walk(item.second, Join(name, KeyText(item.first)), depth + 1));
        }
        return absl::OkStatus();
      case Kind::kList:
      case Kind::kTuple:
      case Kind::kSet:
        for (size_t k = 0; k < v->list.size(); ++k) {
          RETURN_IF_ERROR(Walk(v->list[k], Join(name, absl::StrCat(k)), depth + 1));
        }
        return absl::OkStatus();
      case Kind::kTensor:
        return AddTensor(*v, name);
      case Kind::kStorage: {
        // A bare storage: its whole extent as a 1-D tensor.
        PickleValue t;
        t.kind = Kind::kTensor;
        t.storage = const_cast<PickleValue*>(v);
        t.shape = {v->storage_numel};
        t.strides = {1};
        return AddTensor(t, name);
      }
      case Kind::kNone: return AddMeta(name, MetaValue::None());
      case Kind::kBool: return AddMeta(name, MetaValue::Bool(v->b));
      case Kind::kInt: return AddMeta(name, MetaValue::Int(v->i));
      case Kind::kBigInt:
        return AddMeta(name, MetaValue::String(absl::StrCat("<int of ", v->bytes.size(),
                                                            " bytes>")));
      case Kind::kFloat: return AddMeta(name, MetaValue::Float(v->f));
      case Kind::kString: return AddMeta(name, MetaValue::String(v->bytes));
      case Kind::kBytes:
        return AddMeta(name, MetaValue::String(absl::StrCat("<bytes of ", v->bytes.size(), ">")));
      case Kind::kGlobal: return AddMeta(name, MetaValue::String(absl::StrCat("<", v->qualname, ">")));
      case Kind::kObject: {
        if (absl::optional<MetaValue> scalar = NumpyScalar(*v)) return AddMeta(name, *scalar);
        RETURN_IF_ERROR(AddMeta(name, MetaValue::String(absl::StrCat("<", v->qualname, ">"))));
        const PickleValue* state = v->state;
        // (dict_state, slot_state) tuples come from objects with __slots__.
        if (state != nullptr && state->kind == Kind::kTuple && !state->list.empty()) {
          state = state->list[0];
        }
        if (state != nullptr && state->kind == Kind::kDict) {
          RETURN_IF_ERROR(Walk(state, name, depth + 1));
        }
        for (const auto& item : v->items) {
          RETURN_IF_ERROR(Walk(item.second, Join(name, KeyText(item.first)), depth + 1));
        }
        for (size_t k = 0; k < v->list.size(); ++k) {
          RETURN_IF_ERROR(Walk(v->list[k], Join(name, absl::StrCat(k)), depth + 1));
        }
        return absl::OkStatus();
      }
    }
    return absl::OkStatus();
  }

 private:
  std::string Label(const std::string& name) const {
    return absl::StrCat(path_, ": tensor \"", name, "\"");
  }

  absl::Status AddMeta(const std::string& name, MetaValue value) {
    out_->metadata.emplace_back(name, std::move(value));
    return absl::OkStatus();
  }

  absl::Status AddTensor(const PickleValue& t, const std::string& name) {
    const PickleValue& s = *t.storage;
    auto it = storages_->find(s.storage_key);
    if (it == storages_->end()) {
      return absl::NotFoundError(absl::StrCat(Label(name), ": storage \"", s.storage_key,
                                              "\" has no data in the file"));
    }
    const StorageData& data = it->second;
    const int64_t esize = ElementSize(s.dtype);
    // The storage (possibly a legacy view into a larger one) must lie inside its data.
    int64_t first = s.storage_offset, extent = 0, bytes_needed = 0;
    if (AddOverflows(s.storage_offset, s.storage_numel, &extent) ||
        MulOverflows(extent, esize, &bytes_needed) ||
        static_cast<uint64_t>(bytes_needed) > data.bytes) {
      return absl::OutOfRangeError(absl::StrCat(
          Label(name), ": storage \"", s.storage_key, "\" holds ", data.bytes,
          " bytes but its persistent id declares ", s.storage_numel, " ", DTypeName(s.dtype),
          " elements from element ", first, ", expected at most ",
          data.bytes / esize - std::min<uint64_t>(data.bytes / esize, first)));
    }
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d] < 0 || t.strides[d] < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            Label(name), ": size ", ShapeToString(t.shape), " stride ", ShapeToString(t.strides),
            " has a negative entry, expected sizes and strides >= 0"));
      }
    }
    absl::StatusOr<int64_t> numel = NumElements(t.shape);
    if (!numel.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(Label(name), ": size ",
                                                     ShapeToString(t.shape), ": ",
                                                     numel.status().message()));
    }
    if (t.storage_offset < 0 || t.storage_offset > s.storage_numel) {
      return absl::OutOfRangeError(absl::StrCat(Label(name), ": storage offset ", t.storage_offset,
                                                " is outside storage \"", s.storage_key,
                                                "\" of ", s.storage_numel, " elements"));
    }
    if (*numel > 0) {
      // Last addressed element: offset + sum((size - 1) * stride).
      int64_t last = t.storage_offset;
      bool overflow = false;
      for (size_t d = 0; d < t.shape.size(); ++d) {
        int64_t step;
        overflow |= MulOverflows(t.shape[d] - 1, t.strides[d], &step);
        overflow |= AddOverflows(last, step, &last);
      }
      if (overflow || last >= s.storage_numel) {
        return absl::OutOfRangeError(absl::StrCat(
            Label(name), ": size ", ShapeToString(t.shape), " stride ", ShapeToString(t.strides),
            " at offset ", t.storage_offset, " reaches element ",
            overflow ? std::string("(overflow)") : absl::StrCat(last), " but storage \"",
            s.storage_key, "\" holds ", s.storage_numel, " elements"));
      }
    }
    const uint8_t* base = data.data + (s.storage_offset + t.storage_offset) * esize;
    out_->tensors.push_back(
        {name, data.file != nullptr
                   ? Tensor::View(s.dtype, t.shape, data.file, base, t.strides, order_)
                   : Tensor::View(s.dtype, t.shape, data.keep_alive, base, t.strides, order_)});
    return absl::OkStatus();
  }

  std::string path_;
  const std::map<std::string, StorageData>* storages_;
  ByteOrder order_;
  uint64_t visits_left_;
  Checkpoint* out_;
};

// Keeps the `select` sub-tree (names stripped of "select."), flags repeated names.
absl::Status Finish(const std::string& path, const ReadOptions& options, Checkpoint* ckpt) {
  std::set<std::string> seen;
  std::vector<NamedTensor> tensors;
  for (NamedTensor& t : ckpt->tensors) {
    if (!seen.insert(t.name).second) {
      ckpt->warnings.push_back(absl::StrCat(path, ": tensor name \"", t.name,
                                            "\" occurs more than once; the first is kept"));
      continue;
    }
    tensors.push_back(std::move(t));
  }
  ckpt->tensors = std::move(tensors);
  if (options.select.empty()) return absl::OkStatus();

  const std::string prefix = options.select + ".";
  auto keep = [&](std::string* name) {
    if (*name == options.select) return true;
    if (!absl::StartsWith(*name, prefix)) return false;
    *name = name->substr(prefix.size());
    return true;
  };
  std::vector<std::string> top;
  auto note_top = [&](const std::string& name) {
    std::string t = name.substr(0, name.find('.'));
    if (std::find(top.begin(), top.end(), t) == top.end()) top.push_back(t);
  };
  std::vector<NamedTensor> kept;
  for (NamedTensor& t : ckpt->tensors) {
    note_top(t.name);
    if (keep(&t.name)) kept.push_back(std::move(t));
  }
  Metadata meta;
  for (auto& m : ckpt->metadata) {
    note_top(m.first);
    if (keep(&m.first)) meta.push_back(std::move(m));
  }
  if (kept.empty() && meta.empty()) {
    if (top.size() > 20) top.resize(20);
    return absl::NotFoundError(absl::StrCat(path, ": select \"", options.select,
                                            "\" matches nothing; top-level keys: ",
                                            absl::StrJoin(top, ", ")));
  }
  ckpt->tensors = std::move(kept);
  ckpt->metadata = std::move(meta);
  return absl::OkStatus();
}

uint64_t MaxVisits(const PickleResult& r) { return 16 * r.arena.size() + 4096; }

absl::StatusOr<Checkpoint> ReadZip(const std::string& path,
                                   std::shared_ptr<const MappedFile> file,
                                   const ReadOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<ZipReader> zip, ZipReader::FromMapped(std::move(file)));
  const ZipEntry* pkl = nullptr;
  for (const ZipEntry& e : zip->entries()) {
    if (e.name == "data.pkl" || absl::EndsWith(e.name, "/data.pkl")) {
      if (pkl == nullptr || e.name.size() < pkl->name.size()) pkl = &e;
    }
  }
  if (pkl == nullptr) {
    std::vector<std::string> names;
    for (size_t k = 0; k < zip->entries().size() && k < 5; ++k) {
      names.push_back(zip->entries()[k].name);
    }
    return absl::NotFoundError(absl::StrCat(
        path, ": zip archive has no data.pkl entry (", zip->entries().size(), " entries: ",
        absl::StrJoin(names, ", "), zip->entries().size() > 5 ? ", ..." : "",
        "), expected a torch.save checkpoint"));
  }
  const std::string prefix = pkl->name.substr(0, pkl->name.size() - std::strlen("data.pkl"));

  ByteOrder order = ByteOrder::kLittle;
  if (const ZipEntry* bo = zip->Find(prefix + "byteorder")) {
    ASSIGN_OR_RETURN(ZipData d, zip->Read(*bo));
    if (d.bytes() == "big") {
      order = ByteOrder::kBig;
    } else if (d.bytes() != "little") {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": ", bo->name, " is \"", absl::CHexEscape(d.bytes().substr(0, 16)),
          "\", expected \"little\" or \"big\""));
    }
  }

  ASSIGN_OR_RETURN(ZipData pkl_data, zip->Read(*pkl));
  std::map<std::string, StorageData> storages;
  PickleOptions popts;
  popts.source = absl::StrCat(path, ":", pkl->name);
  popts.persistent_load = [&](const PickleValue& pid,
                              PickleArena& arena) -> absl::StatusOr<PickleValue*> {
    ASSIGN_OR_RETURN(PickleValue * s, LoadStorageId(popts.source, pid, arena));
    if (storages.count(s->storage_key)) return s;
    const std::string entry_name = absl::StrCat(prefix, "data/", s->storage_key);
    const ZipEntry* entry = zip->Find(entry_name);
    if (entry == nullptr) {
      return absl::NotFoundError(absl::StrCat(path, ": storage \"", s->storage_key,
                                              "\" has no entry ", entry_name));
    }
    ASSIGN_OR_RETURN(ZipData d, zip->Read(*entry));
    storages.emplace(s->storage_key,
                     MakeStorage(reinterpret_cast<const uint8_t*>(d.bytes().data()),
                                 d.bytes().size(), d.keep_alive(), d.mapped_file()));
    return s;
  };
  ASSIGN_OR_RETURN(std::unique_ptr<PickleResult> result, RunPickle(pkl_data.bytes(), popts));

  Checkpoint ckpt;
  ckpt.format = "pytorch";
  ckpt.warnings = result->warnings;
  Flattener flat(path, &storages, order, MaxVisits(*result), &ckpt);
  RETURN_IF_ERROR(flat.Walk(result->root, "", 0));
  RETURN_IF_ERROR(Finish(path, options, &ckpt));
  return ckpt;
}

absl::StatusOr<Checkpoint> ReadLegacy(const std::string& path,
                                      std::shared_ptr<const MappedFile> file,
                                      const ReadOptions& options) {
  const absl::string_view bytes = file->bytes();
  uint64_t offset = 0;
  std::vector<std::string> warnings;
  auto run = [&](absl::string_view what, const PickleOptions::PersistentLoad* load)
      -> absl::StatusOr<std::unique_ptr<PickleResult>> {
    PickleOptions popts;
    popts.source = absl::StrCat(path, ": legacy ", what, " pickle (from byte ", offset, ")");
    if (load) popts.persistent_load = *load;
    ASSIGN_OR_RETURN(std::unique_ptr<PickleResult> r, RunPickle(bytes.substr(offset), popts));
    offset += r->end_offset;
    warnings.insert(warnings.end(), r->warnings.begin(), r->warnings.end());
    return r;
  };

  ASSIGN_OR_RETURN(std::unique_ptr<PickleResult> magic, run("magic number", nullptr));
  if (magic->root->kind != Kind::kBigInt || magic->root->bytes != absl::string_view(kLegacyMagic, 10)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": legacy magic number is ", magic->root->Describe(),
        ", expected 0x1950a86a20f9469cfc6c (not a PyTorch checkpoint)"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<PickleResult> version, run("protocol version", nullptr));
  if (version->root->kind != Kind::kInt || version->root->i != kLegacyProtocolVersion) {
    return absl::UnimplementedError(absl::StrCat(path, ": legacy protocol version is ",
                                                 version->root->Describe(), ", expected ",
                                                 kLegacyProtocolVersion));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<PickleResult> sys_info, run("sys_info", nullptr));
  ByteOrder order = ByteOrder::kLittle;
  if (sys_info->root->kind == Kind::kDict) {
    for (const auto& item : sys_info->root->items) {
      if (KeyText(item.first) == "little_endian" && item.second->kind == Kind::kBool &&
          !item.second->b) {
        order = ByteOrder::kBig;
      }
    }
  }

  std::map<std::string, const PickleValue*> by_key;
  const std::string main_source = absl::StrCat(path, ": legacy object pickle");
  PickleOptions::PersistentLoad load = [&](const PickleValue& pid, PickleArena& arena)
      -> absl::StatusOr<PickleValue*> {
    ASSIGN_OR_RETURN(PickleValue * s, LoadStorageId(main_source, pid, arena));
    auto it = by_key.find(s->storage_key);
    if (it != by_key.end() && it->second->dtype != s->dtype) {
      return absl::InvalidArgumentError(absl::StrCat(
          main_source, ": storage \"", s->storage_key, "\" is ", DTypeName(s->dtype),
          " here but ", DTypeName(it->second->dtype), " elsewhere, expected one dtype"));
    }
    by_key.emplace(s->storage_key, s);
    return s;
  };
  ASSIGN_OR_RETURN(std::unique_ptr<PickleResult> main, run("object", &load));
  ASSIGN_OR_RETURN(std::unique_ptr<PickleResult> keys, run("storage keys", nullptr));
  if (keys->root->kind != Kind::kList) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": legacy storage key list is ",
                                                   keys->root->Describe(),
                                                   ", expected a list of str"));
  }

  std::map<std::string, StorageData> storages;
  ByteReader reader(bytes, path);
  RETURN_IF_ERROR(reader.Seek(offset, "legacy storage data"));
  for (const PickleValue* k : keys->root->list) {
    const std::string key = KeyText(k);
    auto it = by_key.find(key);
    if (it == by_key.end()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": legacy storage key \"", key,
                                                     "\" is not used by any tensor"));
    }
    const std::string what = absl::StrCat("storage \"", key, "\" element count");
    ASSIGN_OR_RETURN(uint64_t count, reader.Read<uint64_t>(what));
    if (order == ByteOrder::kBig) count = __builtin_bswap64(count);
    const uint64_t esize = ElementSize(it->second->dtype);
    RETURN_IF_ERROR(reader.CheckCount(count, esize, absl::StrCat("storage \"", key, "\" data")));
    const uint64_t offset_before = reader.offset();
    RETURN_IF_ERROR(reader.Skip(count * esize, absl::StrCat("storage \"", key, "\" data")));
    StorageData sd =
        MakeStorage(file->data() + offset_before, count * esize, file, file);
    if (!storages.emplace(key, std::move(sd)).second) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": legacy storage key \"", key,
                                                     "\" is listed twice"));
    }
  }

  Checkpoint ckpt;
  ckpt.format = "pytorch";
  ckpt.warnings = std::move(warnings);
  Flattener flat(path, &storages, order, MaxVisits(*main), &ckpt);
  RETURN_IF_ERROR(flat.Walk(main->root, "", 0));
  RETURN_IF_ERROR(Finish(path, options, &ckpt));
  return ckpt;
}

bool LooksLikeLegacy(absl::string_view head) {
  return head.size() >= 14 && head.substr(0, 4) == absl::string_view("\x80\x02\x8a\x0a", 4) &&
         head.substr(4, 10) == absl::string_view(kLegacyMagic, 10);
}

}  // namespace

bool LooksLikePyTorch(absl::string_view head, uint64_t file_size) {
  (void)file_size;
  if (LooksLikeLegacy(head)) return true;
  if (!LooksLikeZip(head) || head.size() < 30) return false;
  // The first local header's name: torch.save writes <prefix>/data.pkl first.
  const uint16_t name_len = static_cast<uint8_t>(head[26]) | (static_cast<uint8_t>(head[27]) << 8);
  if (head.size() < 30u + name_len) return false;
  absl::string_view name = head.substr(30, name_len);
  return name == "data.pkl" || absl::EndsWith(name, "/data.pkl");
}

absl::StatusOr<Checkpoint> ReadPyTorch(const std::string& path, const ReadOptions& options) {
  ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file, MappedFile::Open(path));
  const absl::string_view head = file->bytes().substr(0, 64);
  if (LooksLikeZip(head)) return ReadZip(path, std::move(file), options);
  if (head.size() >= 3 && head.substr(0, 3) == absl::string_view("\x80\x02\x8a", 3)) {
    return ReadLegacy(path, std::move(file), options);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": first bytes \"", absl::CHexEscape(head.substr(0, 8)),
      "\" are neither a zip archive (\"PK\\003\\004\") nor a legacy PyTorch pickle "
      "(\"\\x80\\x02\\x8a\\x0a\" + magic number)"));
}

const FormatRegistration kPyTorchRegistration({
    .id = "pytorch",
    .description = "PyTorch checkpoint (torch.save zip or legacy), read without executing pickles",
    .extensions = {".pt", ".pth", ".bin", ".ckpt"},
    .detect = &LooksLikePyTorch,
    .read = &ReadPyTorch,
    .write = nullptr,
});

}  // namespace tp
