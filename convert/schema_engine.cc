#include "convert/schema_engine.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/status_macros.h"
#include "core/tensor_ops.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "re2/re2.h"

namespace tp {
namespace {

using Producer = std::function<absl::StatusOr<Tensor>()>;

// A tensor of the working set while passes run.
struct Node {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
  std::vector<std::string> sources;
  DType source_dtype = DType::kF32;
  Shape source_shape;
  int64_t source_bytes = 0;
  std::vector<Transform> transforms;
  std::vector<std::string> notes;
  std::vector<Tensor> source_tensors;
  Producer make;
  bool mapped = false;
};

// Patterns must match whole names.
std::unique_ptr<RE2> Compile(const std::string& pattern) {
  return std::make_unique<RE2>(absl::StrCat("^(?:", pattern, ")$"), RE2::Quiet);
}

re2::StringPiece Piece(absl::string_view s) { return re2::StringPiece(s.data(), s.size()); }

bool Matches(const RE2& re, absl::string_view name) { return RE2::PartialMatch(Piece(name), re); }

std::string Rewrite(const RE2& re, absl::string_view name, const std::string& rewrite) {
  std::string out;
  if (!RE2::Extract(Piece(name), re, rewrite, &out)) return std::string(name);
  return out;
}

int64_t Bytes(DType t, const Shape& shape) {
  absl::StatusOr<int64_t> n = NumElements(shape);
  if (!n.ok()) return 0;
  absl::StatusOr<int64_t> b = StorageBytes(t, *n);
  return b.ok() ? *b : 0;
}

int64_t Product(const Shape& s, int begin, int end) {
  int64_t p = 1;
  for (int i = begin; i < end; ++i) p *= s[i];
  return p;
}

Transform Renamed(const std::string& from, const std::string& to) {
  Transform t;
  t.kind = Transform::Kind::kRename;
  t.from_name = from;
  t.to_name = to;
  return t;
}

void Rename(Node& n, const std::string& to) {
  if (n.name == to) return;
  n.transforms.push_back(Renamed(n.name, to));
  n.name = to;
}

// Default keep-f32 rule: biases and norms by name.
bool DefaultKeep(absl::string_view name) {
  static const RE2* re = new RE2("(?i).*(bias|norm).*");
  return RE2::FullMatch(Piece(name), *re);
}

std::string StripRegex(absl::string_view p) {
  std::string out;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char n = p[i + 1];
      if (n == '.' || n == '_' || n == '-') out.push_back(n);
      ++i;
      continue;
    }
    if (std::strchr("^$()[]{}*+?|", c) != nullptr) continue;
    out.push_back(c);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Metadata values

absl::StatusOr<MetaValue::Type> MetaTypeFromName(const std::string& t) {
  static const std::map<std::string, MetaValue::Type>* types =
      new std::map<std::string, MetaValue::Type>{
          {"u8", MetaValue::Type::kU8},   {"i8", MetaValue::Type::kI8},
          {"u16", MetaValue::Type::kU16}, {"i16", MetaValue::Type::kI16},
          {"u32", MetaValue::Type::kU32}, {"i32", MetaValue::Type::kI32},
          {"u64", MetaValue::Type::kU64}, {"i64", MetaValue::Type::kI64},
          {"f32", MetaValue::Type::kF32}, {"f64", MetaValue::Type::kF64},
          {"bool", MetaValue::Type::kBool}, {"string", MetaValue::Type::kString}};
  auto it = types->find(t);
  if (it == types->end()) return absl::InvalidArgumentError(absl::StrCat("unknown type ", t));
  return it->second;
}

// Coerces a generic value to the requested scalar type (arrays element-wise).
absl::StatusOr<MetaValue> Coerce(const MetaValue& v, const std::string& type,
                                 const std::string& key) {
  if (v.type == MetaValue::Type::kArray) {
    std::vector<MetaValue> items;
    MetaValue::Type elem = v.element_type;
    for (const MetaValue& x : v.array) {
      ASSIGN_OR_RETURN(MetaValue c, Coerce(x, type, key));
      elem = c.type;
      items.push_back(std::move(c));
    }
    return MetaValue::Array(std::move(items), elem);
  }
  if (type.empty()) return v;  // the value's own type (JSON: u32/i32/i64 or f32)
  ASSIGN_OR_RETURN(MetaValue::Type t, MetaTypeFromName(type));
  const bool numeric = v.is_integer() || v.is_float() || v.type == MetaValue::Type::kBool;
  switch (t) {
    case MetaValue::Type::kString:
      if (v.type != MetaValue::Type::kString) {
        return absl::InvalidArgumentError(absl::StrCat("metadata \"", key, "\": found ",
                                                       v.ToString(), ", expected a string"));
      }
      return v;
    case MetaValue::Type::kBool:
      if (!numeric) {
        return absl::InvalidArgumentError(absl::StrCat("metadata \"", key, "\": found ",
                                                       v.ToString(), ", expected a bool"));
      }
      return MetaValue::Bool(v.AsDouble() != 0);
    case MetaValue::Type::kF32:
    case MetaValue::Type::kF64:
      if (!numeric) {
        return absl::InvalidArgumentError(absl::StrCat("metadata \"", key, "\": found ",
                                                       v.ToString(), ", expected a number"));
      }
      return MetaValue::Float(v.AsDouble(), t);
    default: {
      if (!numeric) {
        return absl::InvalidArgumentError(absl::StrCat("metadata \"", key, "\": found ",
                                                       v.ToString(), ", expected an integer"));
      }
      const double d = v.AsDouble();
      if (d != std::floor(d)) {
        return absl::InvalidArgumentError(absl::StrCat("metadata \"", key, "\": found ", d,
                                                       ", expected an integer (", type, ")"));
      }
      const bool is_unsigned = t == MetaValue::Type::kU8 || t == MetaValue::Type::kU16 ||
                               t == MetaValue::Type::kU32 || t == MetaValue::Type::kU64;
      if (is_unsigned) {
        if (d < 0) {
          return absl::InvalidArgumentError(absl::StrCat("metadata \"", key, "\": found ", d,
                                                         ", expected a non-negative ", type));
        }
        return MetaValue::UInt(v.type == MetaValue::Type::kU64 ? v.u : static_cast<uint64_t>(d), t);
      }
      return MetaValue::Int(v.type == MetaValue::Type::kI64 ? v.i : static_cast<int64_t>(d), t);
    }
  }
}

MetaValue FromJson(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kNumberValue: {
      const double d = v.number_value();
      if (d == std::floor(d) && std::fabs(d) < 9.0e15) {
        if (d >= 0 && d < 4294967296.0) return MetaValue::UInt(static_cast<uint64_t>(d), MetaValue::Type::kU32);
        if (d >= -2147483648.0 && d < 0) return MetaValue::Int(static_cast<int64_t>(d), MetaValue::Type::kI32);
        return MetaValue::Int(static_cast<int64_t>(d), MetaValue::Type::kI64);
      }
      return MetaValue::Float(d, MetaValue::Type::kF32);
    }
    case google::protobuf::Value::kStringValue:
      return MetaValue::String(v.string_value());
    case google::protobuf::Value::kBoolValue:
      return MetaValue::Bool(v.bool_value());
    case google::protobuf::Value::kListValue: {
      std::vector<MetaValue> items;
      MetaValue::Type elem = MetaValue::Type::kNone;
      bool any_float = false;
      for (const google::protobuf::Value& x : v.list_value().values()) {
        items.push_back(FromJson(x));
        any_float = any_float || items.back().is_float();
        if (elem == MetaValue::Type::kNone) elem = items.back().type;
      }
      if (any_float) {  // [1, 0.5] is an f32 array, not a mixed one
        for (MetaValue& m : items) {
          if (m.is_integer()) m = MetaValue::Float(m.AsDouble(), MetaValue::Type::kF32);
        }
        elem = MetaValue::Type::kF32;
      }
      return MetaValue::Array(std::move(items), elem);
    }
    default:
      return MetaValue::None();
  }
}

absl::StatusOr<const google::protobuf::Value*> JsonLookup(const google::protobuf::Struct& root,
                                                          const std::string& path) {
  const google::protobuf::Value* cur = nullptr;
  const google::protobuf::Struct* obj = &root;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (cur != nullptr && cur->kind_case() == google::protobuf::Value::kListValue) {
      int idx = 0;
      if (!absl::SimpleAtoi(part, &idx) || idx < 0 || idx >= cur->list_value().values_size()) {
        return absl::NotFoundError(std::string(part));
      }
      cur = &cur->list_value().values(idx);
    } else {
      if (cur != nullptr) {
        if (cur->kind_case() != google::protobuf::Value::kStructValue) {
          return absl::NotFoundError(std::string(part));
        }
        obj = &cur->struct_value();
      }
      auto it = obj->fields().find(std::string(part));
      if (it == obj->fields().end()) return absl::NotFoundError(std::string(part));
      cur = &it->second;
    }
  }
  if (cur == nullptr) return absl::NotFoundError(path);
  return cur;
}

MetaValue AsText(const MetaValue& v) {
  if (v.type == MetaValue::Type::kString) return v;
  return MetaValue::String(v.ToJson());
}

// ---------------------------------------------------------------------------------------------
// Passes

class Planner {
 public:
  Planner(const schema::Conversion* schema, const EngineOptions& options)
      : schema_(schema), options_(options) {}

  absl::Status Init(const Checkpoint& source) {
    for (const NamedTensor& nt : source.tensors) {
      Node n;
      n.name = nt.name;
      n.dtype = nt.tensor.dtype();
      n.shape = nt.tensor.shape();
      n.sources = {nt.name};
      n.source_dtype = n.dtype;
      n.source_shape = n.shape;
      n.source_bytes = nt.tensor.nbytes();
      n.source_tensors = {nt.tensor};
      Tensor t = nt.tensor;
      n.make = [t]() -> absl::StatusOr<Tensor> { return t; };
      nodes_.push_back(std::move(n));
    }
    return absl::OkStatus();
  }

  std::string Where(int pass) const {
    return pass < 0 ? options_.schema_source : absl::StrCat(options_.schema_source, ": pass ", pass);
  }

  absl::Status RunPass(const schema::Pass& p, int index) {
    switch (p.op_case()) {
      case schema::Pass::kRename: return DoRename(p.rename(), index);
      case schema::Pass::kStripPrefix: return DoStrip(p.strip_prefix());
      case schema::Pass::kDrop: return DoDrop(p.drop().pattern());
      case schema::Pass::kKeep: {
        auto re = Compile(p.keep().pattern());
        for (Node& n : nodes_) n.mapped = n.mapped || Matches(*re, n.name);
        return absl::OkStatus();
      }
      case schema::Pass::kFuseWeightNorm: return DoFuse(p.fuse_weight_norm(), index);
      case schema::Pass::kPermute:
        return DoPermute(p.permute().pattern(),
                         std::vector<int>(p.permute().perm().begin(), p.permute().perm().end()),
                         p.permute().rank(), index, true);
      case schema::Pass::kReshape: return DoReshape(p.reshape(), index);
      case schema::Pass::kSplit: return DoSplit(p.split(), index);
      case schema::Pass::kConcat: return DoConcat(p.concat(), index);
      case schema::Pass::kCast: {
        std::vector<std::string> keep(p.cast().keep_f32().begin(), p.cast().keep_f32().end());
        return DoCast(p.cast().pattern(), p.cast().dtype(), keep, !p.cast().no_default_keep());
      }
      case schema::Pass::kLstm: return DoLstm(p.lstm(), index);
      case schema::Pass::OP_NOT_SET: break;
    }
    return absl::InvalidArgumentError(absl::StrCat(Where(index), " is empty"));
  }

  absl::Status DoRename(const schema::Rename& r, int index) {
    auto re = Compile(r.pattern());
    for (Node& n : nodes_) {
      if (!Matches(*re, n.name)) continue;
      Rename(n, Rewrite(*re, n.name, r.replacement()));
      n.mapped = true;
    }
    return absl::OkStatus();
  }

  absl::Status DoStrip(const schema::StripPrefix& s) {
    for (Node& n : nodes_) {
      if (!absl::StartsWith(n.name, s.prefix())) continue;
      Rename(n, n.name.substr(s.prefix().size()));
      n.mapped = true;
    }
    return absl::OkStatus();
  }

  absl::Status DoDrop(const std::string& pattern) {
    auto re = Compile(pattern);
    std::vector<Node> kept;
    for (Node& n : nodes_) {
      if (Matches(*re, n.name)) {
        for (const std::string& s : n.sources) dropped_.push_back(s);
      } else {
        kept.push_back(std::move(n));
      }
    }
    nodes_ = std::move(kept);
    return absl::OkStatus();
  }

  absl::Status DoFuse(const schema::FuseWeightNorm& f, int index) {
    std::unique_ptr<RE2> re = f.pattern().empty() ? nullptr : Compile(f.pattern());
    struct Pair {
      int g = -1, v = -1;
    };
    std::map<std::string, Pair> pairs;  // by module path X
    std::vector<std::string> order;
    static const char* kG[] = {".weight_g", ".parametrizations.weight.original0"};
    static const char* kV[] = {".weight_v", ".parametrizations.weight.original1"};
    for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
      const std::string& name = nodes_[i].name;
      for (int k = 0; k < 2; ++k) {
        const bool is_g = absl::EndsWith(name, kG[k]);
        const bool is_v = absl::EndsWith(name, kV[k]);
        if (!is_g && !is_v) continue;
        std::string x = name.substr(0, name.size() - std::strlen(is_g ? kG[k] : kV[k]));
        if (re != nullptr && !Matches(*re, x)) continue;
        std::string key = absl::StrCat(x, "#", k);
        if (!pairs.count(key)) order.push_back(key);
        (is_g ? pairs[key].g : pairs[key].v) = i;
      }
    }
    std::vector<std::string> unpaired;
    for (const std::string& key : order) {
      const Pair& p = pairs[key];
      if (p.g < 0 || p.v < 0) {
        const Node& n = nodes_[p.g >= 0 ? p.g : p.v];
        unpaired.push_back(absl::StrCat("\"", n.name, "\" has no ",
                                        p.g >= 0 ? "magnitude partner (v)" : "direction partner (g)"));
      }
    }
    if (!unpaired.empty()) {
      // Phrase it the way users search for it.
      for (std::string& u : unpaired) {
        if (absl::StrContains(u, "(v)")) {
          u = absl::StrCat(u.substr(0, u.find(" has no")), " has no matching weight_v / original1");
        } else {
          u = absl::StrCat(u.substr(0, u.find(" has no")), " has no matching weight_g / original0");
        }
      }
      return absl::InvalidArgumentError(absl::StrCat(Where(index), ": fuse_weight_norm: unpaired ",
                                                     "weight norm tensors: ",
                                                     absl::StrJoin(unpaired, "; ")));
    }
    std::vector<bool> remove(nodes_.size(), false);
    std::map<int, Node> replace;
    for (const std::string& key : order) {
      const Pair& p = pairs[key];
      const Node& g = nodes_[p.g];
      const Node& v = nodes_[p.v];
      int axis = -1;
      const std::string x = key.substr(0, key.rfind('#'));
      if (g.shape.empty() || (g.shape.size() == 1 && g.shape[0] == 1 && v.shape.size() != 1)) {
        axis = -1;
      } else {
        if (g.shape.size() != v.shape.size()) {
          return absl::InvalidArgumentError(absl::StrCat(
              Where(index), ": fuse_weight_norm \"", x, "\": g has shape ", ShapeToString(g.shape),
              ", v has shape ", ShapeToString(v.shape), "; expected the same rank"));
        }
        std::vector<int> non_one;
        for (int d = 0; d < static_cast<int>(g.shape.size()); ++d) {
          if (g.shape[d] != 1) non_one.push_back(d);
        }
        if (f.has_dim()) {
          ASSIGN_OR_RETURN(axis, NormalizeAxis(f.dim(), v.shape.size(), Where(index)));
        } else if (non_one.empty()) {
          axis = 0;
        } else if (non_one.size() == 1) {
          axis = non_one[0];
        } else {
          return absl::InvalidArgumentError(absl::StrCat(
              Where(index), ": fuse_weight_norm \"", x, "\": g has shape ", ShapeToString(g.shape),
              ", expected all dims 1 but one"));
        }
        for (int d = 0; d < static_cast<int>(g.shape.size()); ++d) {
          const int64_t want = d == axis ? v.shape[d] : 1;
          if (g.shape[d] != want) {
            return absl::InvalidArgumentError(absl::StrCat(
                Where(index), ": fuse_weight_norm \"", x, "\": g has shape ",
                ShapeToString(g.shape), ", v has shape ", ShapeToString(v.shape),
                "; expected g's dim ", d, " to be ", want));
          }
        }
      }
      Node out;
      out.name = absl::StrCat(x, ".weight");
      out.dtype = v.dtype;
      out.shape = v.shape;
      out.sources = g.sources;
      out.sources.insert(out.sources.end(), v.sources.begin(), v.sources.end());
      out.source_dtype = v.source_dtype;
      out.source_shape = v.source_shape;
      out.source_bytes = g.source_bytes + v.source_bytes;
      out.source_tensors = g.source_tensors;
      out.source_tensors.insert(out.source_tensors.end(), v.source_tensors.begin(),
                                v.source_tensors.end());
      out.transforms = v.transforms;
      Transform t;
      t.kind = Transform::Kind::kFuseWeightNorm;
      t.from_name = v.name;
      t.to_name = out.name;
      t.axis = axis;
      t.shape_before = v.shape;
      t.shape_after = v.shape;
      t.dtype_before = v.dtype;
      t.dtype_after = v.dtype;
      out.transforms.push_back(t);
      // Fusing is a transform, not a naming decision: it does not count as mapping.
      out.mapped = g.mapped || v.mapped;
      Producer mg = g.make, mv = v.make;
      out.make = [mg, mv, axis]() -> absl::StatusOr<Tensor> {
        ASSIGN_OR_RETURN(Tensor gt, mg());
        ASSIGN_OR_RETURN(Tensor vt, mv());
        return FuseWeightNorm(gt, vt, axis);
      };
      const int first = std::min(p.g, p.v);
      remove[std::max(p.g, p.v)] = true;
      replace[first] = std::move(out);
    }
    RebuildNodes(remove, &replace);
    return absl::OkStatus();
  }

  absl::Status DoPermute(const std::string& pattern, const std::vector<int>& perm, int rank,
                         int index, bool maps) {
    auto re = Compile(pattern);
    for (Node& n : nodes_) {
      if (!Matches(*re, n.name)) continue;
      const int want = rank != 0 ? rank : static_cast<int>(perm.size());
      if (static_cast<int>(n.shape.size()) != want) {
        return absl::InvalidArgumentError(absl::StrCat(
            Where(index), ": permute [", absl::StrJoin(perm, ","), "] of \"", n.name,
            "\": found rank ", n.shape.size(), " (shape ", ShapeToString(n.shape),
            "), expected rank ", want));
      }
      if (n.dtype == DType::kQ8_0) {
        return absl::UnimplementedError(
            absl::StrCat(Where(index), ": permute of \"", n.name, "\": q8_0 tensors cannot be permuted"));
      }
      Transform t;
      t.kind = Transform::Kind::kPermute;
      t.perm = perm;
      t.shape_before = n.shape;
      Shape s;
      for (int p : perm) s.push_back(n.shape[p]);
      t.shape_after = s;
      t.dtype_before = t.dtype_after = n.dtype;
      t.from_name = t.to_name = n.name;
      n.transforms.push_back(t);
      n.shape = s;
      if (maps) n.mapped = true;
      Producer prev = n.make;
      n.make = [prev, perm]() -> absl::StatusOr<Tensor> {
        ASSIGN_OR_RETURN(Tensor in, prev());
        return PermuteTensor(in, perm);
      };
    }
    return absl::OkStatus();
  }

  absl::Status DoReshape(const schema::Reshape& r, int index) {
    auto re = Compile(r.pattern());
    for (Node& n : nodes_) {
      if (!Matches(*re, n.name)) continue;
      ASSIGN_OR_RETURN(int64_t count, NumElements(n.shape));
      Shape s(r.shape().begin(), r.shape().end());
      int infer = -1;
      int64_t known = 1;
      for (int i = 0; i < static_cast<int>(s.size()); ++i) {
        if (s[i] == -1 && infer < 0) {
          infer = i;
        } else if (s[i] < 0) {
          return absl::InvalidArgumentError(absl::StrCat(Where(index), ": reshape of \"", n.name,
                                                         "\": bad target dim ", s[i]));
        } else {
          known *= s[i];
        }
      }
      if (infer >= 0 && known > 0 && count % known == 0) s[infer] = count / known;
      absl::StatusOr<int64_t> target = NumElements(s);
      if (!target.ok() || *target != count) {
        return absl::InvalidArgumentError(absl::StrCat(
            Where(index), ": reshape of \"", n.name, "\": found shape ", ShapeToString(n.shape),
            " (", count, " elements), expected a shape with the same count, not [",
            absl::StrJoin(r.shape(), ", "), "]"));
      }
      Transform t;
      t.kind = Transform::Kind::kReshape;
      t.shape_before = n.shape;
      t.shape_after = s;
      t.dtype_before = t.dtype_after = n.dtype;
      n.transforms.push_back(t);
      n.shape = s;
      n.mapped = true;
      Producer prev = n.make;
      n.make = [prev, s]() -> absl::StatusOr<Tensor> {
        ASSIGN_OR_RETURN(Tensor in, prev());
        ASSIGN_OR_RETURN(Tensor c, in.Contiguous());
        return c.Reshaped(s);
      };
    }
    return absl::OkStatus();
  }

  // Splits node `n` along `axis` into parts of `sizes`, named `names`.
  absl::StatusOr<std::vector<Node>> SplitNode(const Node& n, int axis,
                                              const std::vector<int64_t>& sizes,
                                              const std::vector<std::string>& names,
                                              std::vector<Transform> extra) {
    std::vector<Node> parts;
    int64_t offset = 0;
    for (size_t j = 0; j < sizes.size(); ++j) {
      Node p = n;
      p.transforms.insert(p.transforms.end(), extra.begin(), extra.end());
      Transform t;
      t.kind = Transform::Kind::kSplit;
      t.from_name = n.name;
      t.to_name = names[j];
      t.axis = axis;
      t.offset = offset;
      t.size = sizes[j];
      t.shape_before = n.shape;
      p.shape[axis] = sizes[j];
      t.shape_after = p.shape;
      t.dtype_before = t.dtype_after = n.dtype;
      p.transforms.push_back(t);
      p.name = names[j];
      p.mapped = true;
      Producer prev = n.make;
      const int64_t off = offset, size = sizes[j];
      p.make = [prev, axis, off, size]() -> absl::StatusOr<Tensor> {
        ASSIGN_OR_RETURN(Tensor in, prev());
        return SliceTensor(in, axis, off, size);
      };
      parts.push_back(std::move(p));
      offset += sizes[j];
    }
    return parts;
  }

  absl::Status DoSplit(const schema::Split& s, int index) {
    auto re = Compile(s.pattern());
    std::vector<Node> next;
    for (Node& n : nodes_) {
      if (!Matches(*re, n.name)) {
        next.push_back(std::move(n));
        continue;
      }
      ASSIGN_OR_RETURN(int axis, NormalizeAxis(s.axis(), n.shape.size(),
                                               absl::StrCat(Where(index), ": split \"", n.name, "\"")));
      int64_t fixed = 0;
      int free_parts = 0;
      for (const schema::SplitPart& p : s.part()) {
        if (p.size() > 0) fixed += p.size(); else ++free_parts;
      }
      const int64_t dim = n.shape[axis];
      int64_t share = 0;
      if (free_parts > 0 && dim >= fixed) share = (dim - fixed) / free_parts;
      if (fixed + share * free_parts != dim || (free_parts > 0 && share == 0)) {
        return absl::InvalidArgumentError(absl::StrCat(
            Where(index), ": split \"", n.name, "\": found dim ", axis, " = ", dim,
            ", expected it to divide into the ", s.part_size(), " declared parts"));
      }
      std::vector<int64_t> sizes;
      std::vector<std::string> names;
      for (const schema::SplitPart& p : s.part()) {
        sizes.push_back(p.size() > 0 ? p.size() : share);
        names.push_back(Rewrite(*re, n.name, p.name()));
      }
      ASSIGN_OR_RETURN(std::vector<Node> parts, SplitNode(n, axis, sizes, names, {}));
      for (Node& p : parts) next.push_back(std::move(p));
    }
    nodes_ = std::move(next);
    return absl::OkStatus();
  }

  absl::Status DoConcat(const schema::Concat& c, int index) {
    auto re = Compile(c.pattern());
    std::map<std::string, std::vector<int>> groups;
    std::vector<std::string> order;
    for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
      if (!Matches(*re, nodes_[i].name)) continue;
      std::string out = Rewrite(*re, nodes_[i].name, c.output());
      if (!groups.count(out)) order.push_back(out);
      groups[out].push_back(i);
    }
    std::vector<bool> remove(nodes_.size(), false);
    std::map<int, Node> replace;
    for (const std::string& out_name : order) {
      const std::vector<int>& members = groups[out_name];
      const Node& first = nodes_[members[0]];
      ASSIGN_OR_RETURN(int axis, NormalizeAxis(c.axis(), first.shape.size(),
                                               absl::StrCat(Where(index), ": concat \"", out_name, "\"")));
      Node out;
      out.name = out_name;
      out.dtype = first.dtype;
      out.shape = first.shape;
      out.shape[axis] = 0;
      out.source_dtype = first.source_dtype;
      out.source_shape = first.source_shape;
      Transform t;
      t.kind = Transform::Kind::kConcat;
      t.axis = axis;
      t.to_name = out_name;
      std::vector<Producer> makes;
      for (int m : members) {
        const Node& n = nodes_[m];
        Shape a = n.shape, b = first.shape;
        if (a.size() == b.size()) {
          a[axis] = 0;
          b[axis] = 0;
        }
        if (a != b || n.dtype != first.dtype) {
          return absl::InvalidArgumentError(absl::StrCat(
              Where(index), ": concat \"", out_name, "\": \"", n.name, "\" has ",
              DTypeName(n.dtype), ShapeToString(n.shape), ", expected ", DTypeName(first.dtype),
              " and the shape of \"", first.name, "\" ", ShapeToString(first.shape),
              " except along axis ", axis));
        }
        out.shape[axis] += n.shape[axis];
        out.sources.insert(out.sources.end(), n.sources.begin(), n.sources.end());
        out.source_tensors.insert(out.source_tensors.end(), n.source_tensors.begin(),
                                  n.source_tensors.end());
        out.source_bytes += n.source_bytes;
        out.transforms.insert(out.transforms.end(), n.transforms.begin(), n.transforms.end());
        t.sizes.push_back(n.shape[axis]);
        makes.push_back(n.make);
        remove[m] = true;
      }
      t.shape_after = out.shape;
      t.dtype_before = t.dtype_after = out.dtype;
      out.transforms.push_back(t);
      out.mapped = true;
      out.make = [makes, axis]() -> absl::StatusOr<Tensor> {
        std::vector<Tensor> parts;
        for (const Producer& m : makes) {
          ASSIGN_OR_RETURN(Tensor p, m());
          parts.push_back(std::move(p));
        }
        return ConcatTensors(parts, axis);
      };
      remove[members[0]] = false;
      replace[members[0]] = std::move(out);
    }
    RebuildNodes(remove, &replace);
    return absl::OkStatus();
  }

  // Drops the nodes marked in `remove` and puts replace[i] in place of node i, keeping order.
  void RebuildNodes(const std::vector<bool>& remove, std::map<int, Node>* replace) {
    std::vector<Node> next;
    for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
      if (remove[i]) continue;
      auto it = replace->find(i);
      next.push_back(it != replace->end() ? std::move(it->second) : std::move(nodes_[i]));
    }
    nodes_ = std::move(next);
  }

  void CastNode(Node& n, DType to) {
    if (n.dtype == to) return;
    Transform t;
    t.kind = Transform::Kind::kCast;
    t.dtype_before = n.dtype;
    t.dtype_after = to;
    t.shape_before = t.shape_after = n.shape;
    n.transforms.push_back(t);
    n.dtype = to;
    Producer prev = n.make;
    n.make = [prev, to]() -> absl::StatusOr<Tensor> {
      ASSIGN_OR_RETURN(Tensor in, prev());
      return CastLazily(in, to);  // converted a block at a time as the writer reads it
    };
  }

  absl::Status DoCast(const std::string& pattern, const std::string& dtype,
                      const std::vector<std::string>& keep_patterns, bool default_keep) {
    ASSIGN_OR_RETURN(DType to, DTypeFromName(dtype));
    std::unique_ptr<RE2> re = pattern.empty() ? nullptr : Compile(pattern);
    std::vector<std::unique_ptr<RE2>> keep;
    for (const std::string& k : keep_patterns) keep.push_back(Compile(k));
    for (Node& n : nodes_) {
      if (re != nullptr && !Matches(*re, n.name)) continue;
      if (!IsFloating(n.dtype) && n.dtype != DType::kQ8_0) continue;
      bool kept = false;
      for (const auto& k : keep) kept = kept || Matches(*k, n.name);
      if (default_keep && (n.shape.size() <= 1 || DefaultKeep(n.name))) kept = true;
      if (kept) {
        if (to != DType::kF32 && n.dtype != DType::kF32) CastNode(n, DType::kF32);
        continue;
      }
      DType target = to;
      if (to == DType::kQ8_0) {
        const int64_t last = n.shape.empty() ? 1 : n.shape.back();
        if (last % kQ8_0BlockSize != 0) {
          target = DType::kF16;
          n.notes.push_back(absl::StrCat("q8_0 needs the last dim to be a multiple of 32, found ",
                                         last, ": written as f16"));
        }
      }
      CastNode(n, target);
    }
    return absl::OkStatus();
  }

  absl::Status DoLstm(const schema::Lstm& l, int index) {
    auto re = Compile(l.pattern());
    static const RE2* leaf = new RE2("(weight_ih|weight_hh|bias_ih|bias_hh)_l(\\d+)(_reverse)?");
    struct Key {
      std::string module, layer;
      bool reverse;
      bool operator<(const Key& o) const {
        return std::tie(module, layer, reverse) < std::tie(o.module, o.layer, o.reverse);
      }
    };
    std::map<Key, std::map<std::string, int>> groups;  // kind -> node index
    std::map<int, Key> member;
    for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
      const std::string& name = nodes_[i].name;
      const size_t dot = name.rfind('.');
      if (dot == std::string::npos) continue;
      std::string module = name.substr(0, dot), kind, layer, rev;
      if (!Matches(*re, module)) continue;
      if (!RE2::FullMatch(name.substr(dot + 1), *leaf, &kind, &layer, &rev)) continue;
      Key k{module, layer, !rev.empty()};
      groups[k][kind] = i;
      member[i] = k;
    }
    const std::vector<std::string> gates =
        l.gate_names_size() == 4 ? std::vector<std::string>(l.gate_names().begin(), l.gate_names().end())
                                 : std::vector<std::string>{"i", "f", "g", "o"};
    std::vector<std::string> problems;
    std::map<int, std::vector<Node>> replace;
    std::vector<bool> remove(nodes_.size(), false);
    for (auto& [key, kinds] : groups) {
      std::string module = key.module;
      std::string suffix = key.reverse ? "_reverse" : "";
      if (key.reverse && !l.reverse_name().empty()) {
        module = Rewrite(*re, key.module, l.reverse_name());
        suffix = "";
      } else if (!key.reverse && !l.forward_name().empty()) {
        module = Rewrite(*re, key.module, l.forward_name());
      }
      auto target = [&](const std::string& kind) {
        return absl::StrCat(module, ".", kind, "_l", key.layer, suffix);
      };
      std::vector<std::pair<int, Node>> made;  // position, node
      for (auto& [kind, idx] : kinds) {
        Node n = nodes_[idx];
        if (l.combine_bias() && (kind == "bias_ih" || kind == "bias_hh")) {
          if (kind == "bias_hh") continue;  // consumed with bias_ih
          auto hh = kinds.find("bias_hh");
          if (hh == kinds.end()) {
            problems.push_back(absl::StrCat("\"", n.name, "\" has no matching bias_hh"));
            continue;
          }
          const Node& h = nodes_[hh->second];
          if (h.shape != n.shape) {
            problems.push_back(absl::StrCat("\"", n.name, "\" ", ShapeToString(n.shape), " and \"",
                                            h.name, "\" ", ShapeToString(h.shape), " differ"));
            continue;
          }
          Node b = n;
          b.sources.insert(b.sources.end(), h.sources.begin(), h.sources.end());
          b.source_tensors.insert(b.source_tensors.end(), h.source_tensors.begin(),
                                  h.source_tensors.end());
          b.source_bytes += h.source_bytes;
          Transform t;
          t.kind = Transform::Kind::kAddBias;
          t.from_name = n.name;
          t.to_name = h.name;
          t.shape_before = t.shape_after = n.shape;
          t.dtype_before = t.dtype_after = n.dtype;
          b.transforms.push_back(t);
          Producer mi = n.make, mh = h.make;
          const DType dt = n.dtype;
          b.make = [mi, mh, dt]() -> absl::StatusOr<Tensor> {
            ASSIGN_OR_RETURN(Tensor a, mi());
            ASSIGN_OR_RETURN(Tensor c, mh());
            ASSIGN_OR_RETURN(std::vector<double> x, ToDoubleVector(a));
            ASSIGN_OR_RETURN(std::vector<double> y, ToDoubleVector(c));
            Tensor sum = Tensor::Zeros(DType::kF64, a.shape());
            double* s = sum.mutable_data_as<double>();
            for (size_t i = 0; i < x.size(); ++i) s[i] = x[i] + y[i];
            return Cast(sum, dt);
          };
          Rename(b, target("bias"));
          b.mapped = true;
          remove[hh->second] = true;
          made.emplace_back(std::min(idx, hh->second), std::move(b));
          continue;
        }
        Rename(n, target(kind));
        n.mapped = true;
        made.emplace_back(idx, std::move(n));
      }
      // An orphan bias_hh (no bias_ih) is unpaired too.
      if (l.combine_bias() && kinds.count("bias_hh") && !kinds.count("bias_ih")) {
        problems.push_back(
            absl::StrCat("\"", nodes_[kinds["bias_hh"]].name, "\" has no matching bias_ih"));
      }
      for (auto& [pos, n] : made) {
        remove[pos] = false;
        if (!l.split_gates()) {
          replace[pos].push_back(std::move(n));
          continue;
        }
        if (n.shape.empty() || n.shape[0] % 4 != 0) {
          problems.push_back(absl::StrCat("\"", n.name, "\" has shape ", ShapeToString(n.shape),
                                          ", expected dim 0 = 4 x hidden to split gates"));
          continue;
        }
        std::vector<int64_t> sizes(4, n.shape[0] / 4);
        std::vector<std::string> names;
        for (const std::string& g : gates) names.push_back(absl::StrCat(n.name, ".", g));
        ASSIGN_OR_RETURN(std::vector<Node> parts, SplitNode(n, 0, sizes, names, {}));
        for (Node& p : parts) replace[pos].push_back(std::move(p));
      }
      for (auto& [kind, idx] : kinds) {
        if (!replace.count(idx)) remove[idx] = true;
      }
    }
    if (!problems.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(Where(index), ": lstm: ",
                                                     absl::StrJoin(problems, "; ")));
    }
    std::vector<Node> next;
    for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
      auto it = replace.find(i);
      if (it != replace.end()) {
        for (Node& n : it->second) next.push_back(std::move(n));
        continue;
      }
      if (remove[i] || member.count(i)) continue;
      next.push_back(std::move(nodes_[i]));
    }
    nodes_ = std::move(next);
    return absl::OkStatus();
  }

  // All patterns of the schema, for "nearest rule" hints.
  std::vector<std::pair<std::string, std::string>> RulePatterns() const {
    std::vector<std::pair<std::string, std::string>> out;
    if (schema_ == nullptr) return out;
    for (const schema::Pass& p : schema_->pass()) {
      switch (p.op_case()) {
        case schema::Pass::kRename: out.push_back({"rename", p.rename().pattern()}); break;
        case schema::Pass::kStripPrefix: out.push_back({"strip_prefix", p.strip_prefix().prefix()}); break;
        case schema::Pass::kDrop: out.push_back({"drop", p.drop().pattern()}); break;
        case schema::Pass::kKeep: out.push_back({"keep", p.keep().pattern()}); break;
        case schema::Pass::kPermute: out.push_back({"permute", p.permute().pattern()}); break;
        case schema::Pass::kReshape: out.push_back({"reshape", p.reshape().pattern()}); break;
        case schema::Pass::kSplit: out.push_back({"split", p.split().pattern()}); break;
        case schema::Pass::kConcat: out.push_back({"concat", p.concat().pattern()}); break;
        case schema::Pass::kLstm: out.push_back({"lstm", p.lstm().pattern()}); break;
        case schema::Pass::kFuseWeightNorm:
          if (!p.fuse_weight_norm().pattern().empty())
            out.push_back({"fuse_weight_norm", p.fuse_weight_norm().pattern()});
          break;
        default: break;
      }
    }
    return out;
  }

  std::string Nearest(const std::string& name) const {
    std::string best;
    int best_score = 1 << 30;
    for (const auto& [op, pattern] : RulePatterns()) {
      const int d = EditDistance(name, StripRegex(pattern));
      if (d < best_score) {
        best_score = d;
        best = absl::StrCat(op, " \"", pattern, "\"");
      }
    }
    return best.empty() ? "no rules in the schema" : absl::StrCat("nearest rule: ", best);
  }

  std::vector<Node>& nodes() { return nodes_; }
  std::vector<std::string>& dropped() { return dropped_; }

 private:
  const schema::Conversion* schema_;
  const EngineOptions& options_;
  std::vector<Node> nodes_;
  std::vector<std::string> dropped_;
};

absl::StatusOr<MetaValue> RuleValue(const schema::MetadataRule& m, const Checkpoint& source,
                                    const google::protobuf::Struct* config,
                                    const EngineOptions& options, bool* skip) {
  *skip = false;
  MetaValue v;
  switch (m.value_case()) {
    case schema::MetadataRule::kStringValue: v = MetaValue::String(m.string_value()); break;
    case schema::MetadataRule::kIntValue: v = MetaValue::Int(m.int_value()); break;
    case schema::MetadataRule::kFloatValue: v = MetaValue::Float(m.float_value()); break;
    case schema::MetadataRule::kBoolValue: v = MetaValue::Bool(m.bool_value()); break;
    case schema::MetadataRule::kFromCheckpoint: {
      const MetaValue* found = FindMeta(source.metadata, m.from_checkpoint());
      if (found == nullptr) {
        if (m.optional()) {
          *skip = true;
          return v;
        }
        return absl::NotFoundError(absl::StrCat(
            options.schema_source, ": metadata \"", m.key(), "\": source checkpoint has no leaf \"",
            m.from_checkpoint(), "\" (", source.metadata.size(), " leaves)"));
      }
      v = *found;
      break;
    }
    case schema::MetadataRule::kFromConfig: {
      if (config == nullptr) {
        if (m.optional()) {
          *skip = true;
          return v;
        }
        return absl::InvalidArgumentError(absl::StrCat(options.schema_source, ": metadata \"",
                                                       m.key(), "\" reads config path \"",
                                                       m.from_config(), "\", but no --config was given"));
      }
      absl::StatusOr<const google::protobuf::Value*> found = JsonLookup(*config, m.from_config());
      if (!found.ok()) {
        if (m.optional()) {
          *skip = true;
          return v;
        }
        return absl::NotFoundError(absl::StrCat(options.config_path, ": metadata \"", m.key(),
                                                "\": no value at \"", m.from_config(), "\""));
      }
      v = FromJson(**found);
      break;
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat("metadata \"", m.key(), "\" has no value"));
  }
  absl::StatusOr<MetaValue> c = Coerce(v, m.type(), m.key());
  if (!c.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(options.schema_source, ": ", c.status().message()));
  }
  return c;
}

int FileType(const std::string& out_type) {
  if (out_type == "f16") return 1;
  if (out_type == "q8_0") return 7;
  if (out_type == "bf16") return 32;
  return 0;
}

}  // namespace

// -----------------------------------------------------------------------------------------------

std::string Transform::Describe() const {
  switch (kind) {
    case Kind::kRename: return "rename";
    case Kind::kFuseWeightNorm:
      return axis < 0 ? "fuse_weight_norm(all)" : absl::StrCat("fuse_weight_norm(dim=", axis, ")");
    case Kind::kPermute: return absl::StrCat("permute[", absl::StrJoin(perm, ","), "]");
    case Kind::kReshape: return absl::StrCat("reshape", ShapeToString(shape_after));
    case Kind::kSplit: return absl::StrCat("split(axis=", axis, ",", offset, ":", offset + size, ")");
    case Kind::kConcat: return absl::StrCat("concat(axis=", axis, ")");
    case Kind::kCast: return absl::StrCat(DTypeName(dtype_before), "->", DTypeName(dtype_after));
    case Kind::kAddBias: return "bias_ih+bias_hh";
  }
  return "?";
}

int EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

absl::StatusOr<Tensor> FuseWeightNorm(const Tensor& g, const Tensor& v, int axis) {
  ASSIGN_OR_RETURN(std::vector<double> gv, ToDoubleVector(g));
  ASSIGN_OR_RETURN(std::vector<double> vv, ToDoubleVector(v));
  Tensor out = Tensor::Zeros(DType::kF64, v.shape());
  double* o = out.mutable_data_as<double>();
  if (axis < 0) {
    double sum = 0;
    for (double x : vv) sum += x * x;
    const double scale = (gv.empty() ? 1.0 : gv[0]) / std::sqrt(sum);
    for (size_t i = 0; i < vv.size(); ++i) o[i] = vv[i] * scale;
  } else {
    const int64_t outer = Product(v.shape(), 0, axis);
    const int64_t n = v.shape()[axis];
    const int64_t inner = Product(v.shape(), axis + 1, v.rank());
    if (static_cast<int64_t>(gv.size()) != n) {
      return absl::InvalidArgumentError(absl::StrCat("fuse_weight_norm: g has ", gv.size(),
                                                     " values, expected ", n));
    }
    std::vector<double> norm(n, 0.0);
    for (int64_t a = 0; a < outer; ++a)
      for (int64_t c = 0; c < n; ++c)
        for (int64_t i = 0; i < inner; ++i) {
          const double x = vv[(a * n + c) * inner + i];
          norm[c] += x * x;
        }
    for (int64_t c = 0; c < n; ++c) norm[c] = gv[c] / std::sqrt(norm[c]);
    for (int64_t a = 0; a < outer; ++a)
      for (int64_t c = 0; c < n; ++c)
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t k = (a * n + c) * inner + i;
          o[k] = vv[k] * norm[c];
        }
  }
  if (v.dtype() == DType::kF64) return out;
  return Cast(out, v.dtype());
}

std::vector<TensorSpec> ConversionPlan::Specs() const {
  std::vector<TensorSpec> specs;
  for (const PlannedOutput& o : outputs_) specs.push_back({o.name, o.dtype, o.shape});
  return specs;
}

absl::StatusOr<Tensor> ConversionPlan::Produce(size_t i) const {
  if (i >= producers_.size()) {
    return absl::OutOfRangeError(absl::StrCat("output ", i, " of ", producers_.size()));
  }
  ASSIGN_OR_RETURN(Tensor t, producers_[i]());
  const PlannedOutput& o = outputs_[i];
  if (t.dtype() != o.dtype || t.shape() != o.shape) {
    return absl::InternalError(absl::StrCat("\"", o.name, "\": produced ", DTypeName(t.dtype()),
                                            ShapeToString(t.shape()), ", planned ",
                                            DTypeName(o.dtype), ShapeToString(o.shape)));
  }
  return t;
}

absl::StatusOr<ConversionPlan> Plan(const Checkpoint& source, const schema::Conversion* schema,
                                    const EngineOptions& options) {
  Planner planner(schema, options);
  RETURN_IF_ERROR(planner.Init(source));
  const bool is_gguf = options.target_format == "gguf";

  std::string out_type = options.out_type;
  std::string conv_layout = options.conv_layout;
  if (schema != nullptr) {
    if (out_type.empty()) out_type = schema->out_type();
    if (conv_layout.empty()) conv_layout = schema->conv_layout();
  }
  if (options.fuse_weight_norm || (schema != nullptr && schema->fuse_weight_norm())) {
    RETURN_IF_ERROR(planner.DoFuse(schema::FuseWeightNorm(), -1));
  }
  if (schema != nullptr) {
    for (int i = 0; i < schema->pass_size(); ++i) RETURN_IF_ERROR(planner.RunPass(schema->pass(i), i));
  }
  ConversionPlan plan;
  if (conv_layout == "mlx") {
    if (schema == nullptr ||
        (schema->conv1d_weight_size() == 0 && schema->conv_transpose1d_weight_size() == 0)) {
      return absl::InvalidArgumentError(
          "--conv-layout mlx: the schema or preset must declare which tensors are Conv1d weights "
          "(conv1d_weight) and ConvTranspose1d weights (conv_transpose1d_weight); layouts are "
          "never guessed from shapes (try --preset mlx)");
    }
    std::set<std::string> declared;
    std::vector<std::unique_ptr<RE2>> c1, ct;
    for (const std::string& p : schema->conv1d_weight()) c1.push_back(Compile(p));
    for (const std::string& p : schema->conv_transpose1d_weight()) ct.push_back(Compile(p));
    for (const Node& n : planner.nodes()) {
      bool a = false, b = false;
      for (const auto& re : c1) a = a || Matches(*re, n.name);
      for (const auto& re : ct) b = b || Matches(*re, n.name);
      if (a && b) {
        return absl::InvalidArgumentError(absl::StrCat(
            options.schema_source, ": \"", n.name,
            "\" matches both conv1d_weight and conv_transpose1d_weight; expected one layout"));
      }
    }
    // One alternation per layout, so a tensor matched by two declarations is permuted once.
    auto any_of = [](const google::protobuf::RepeatedPtrField<std::string>& patterns) {
      std::vector<std::string> parts;
      for (const std::string& p : patterns) parts.push_back(absl::StrCat("(?:", p, ")"));
      return absl::StrJoin(parts, "|");
    };
    if (schema->conv1d_weight_size() > 0) {
      RETURN_IF_ERROR(planner.DoPermute(any_of(schema->conv1d_weight()), {0, 2, 1}, 3, -1, false));
    }
    if (schema->conv_transpose1d_weight_size() > 0) {
      RETURN_IF_ERROR(
          planner.DoPermute(any_of(schema->conv_transpose1d_weight()), {1, 2, 0}, 3, -1, false));
    }
  }
  if (!out_type.empty()) {
    std::vector<std::string> keep;
    if (schema != nullptr) keep.assign(schema->keep_f32().begin(), schema->keep_f32().end());
    RETURN_IF_ERROR(planner.DoCast("", out_type, keep, true));
  }

  // Strictness: with a schema, every source tensor is mapped or dropped on purpose.
  std::vector<std::string> unmapped;
  if (schema != nullptr) {
    for (Node& n : planner.nodes()) {
      if (n.mapped) continue;
      for (const std::string& s : n.sources) {
        unmapped.push_back(absl::StrCat("\"", s, "\" (", planner.Nearest(s), ")"));
        plan.unmapped_.push_back(s);
      }
    }
    if (!unmapped.empty() && !options.allow_unmapped) {
      return absl::InvalidArgumentError(absl::StrCat(
          options.schema_source, ": ", unmapped.size(), " source tensor",
          unmapped.size() == 1 ? " is" : "s are",
          " not mapped by any rule (add a rule, drop them on purpose, or pass --allow-unmapped): ",
          absl::StrJoin(unmapped, ", ")));
    }
  }

  // Output names: unique, and short enough for GGUF readers.
  std::map<std::string, int> seen;
  std::vector<std::string> duplicates, too_long;
  for (const Node& n : planner.nodes()) {
    if (seen[n.name]++ == 1) duplicates.push_back(absl::StrCat("\"", n.name, "\""));
    if (is_gguf && n.name.size() > 63) {
      too_long.push_back(absl::StrCat("\"", n.name, "\" (", n.name.size(), " bytes)"));
    }
  }
  if (!duplicates.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(options.schema_source,
                                                   ": several tensors would be written as ",
                                                   absl::StrJoin(duplicates, ", "),
                                                   "; expected unique output names"));
  }
  if (!too_long.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GGUF tensor names are limited to 63 bytes; ", too_long.size(), " exceed it: ",
        absl::StrJoin(too_long, ", "),
        "; add a rename rule, e.g. pass { rename { pattern: \"long\\\\.prefix\\\\.(.*)\" "
        "replacement: \"short.\\\\1\" } }"));
  }

  // Expected inventory.
  if (schema != nullptr && schema->expect().tensor_size() > 0) {
    std::vector<std::string> diffs;
    std::map<std::string, const Node*> by_name;
    for (const Node& n : planner.nodes()) by_name[n.name] = &n;
    std::set<std::string> expected;
    for (const schema::ExpectedTensor& e : schema->expect().tensor()) {
      expected.insert(e.name());
      auto it = by_name.find(e.name());
      if (it == by_name.end()) {
        diffs.push_back(absl::StrCat("missing \"", e.name(), "\""));
        continue;
      }
      const Node& n = *it->second;
      Shape want(e.shape().begin(), e.shape().end());
      if (!want.empty() && want != n.shape) {
        diffs.push_back(absl::StrCat("\"", e.name(), "\" shape ", ShapeToString(n.shape),
                                     ", expected ", ShapeToString(want)));
      }
      if (!e.dtype().empty() && e.dtype() != DTypeName(n.dtype)) {
        diffs.push_back(absl::StrCat("\"", e.name(), "\" dtype ", DTypeName(n.dtype), ", expected ",
                                     e.dtype()));
      }
    }
    if (schema->expect().exhaustive()) {
      for (const Node& n : planner.nodes()) {
        if (!expected.count(n.name)) diffs.push_back(absl::StrCat("unexpected \"", n.name, "\""));
      }
    }
    if (!diffs.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(options.schema_source, ": the output differs ",
                                                     "from the expected inventory in ", diffs.size(),
                                                     " places: ", absl::StrJoin(diffs, "; ")));
    }
  }

  // Notes: 3-D weights left in torch layout under mlx.
  for (Node& n : planner.nodes()) {
    PlannedOutput o;
    o.name = n.name;
    o.dtype = n.dtype;
    o.shape = n.shape;
    o.sources = n.sources;
    o.source_dtype = n.source_dtype;
    o.source_shape = n.source_shape;
    o.source_bytes = n.source_bytes;
    o.bytes = Bytes(n.dtype, n.shape);
    o.transforms = n.transforms;
    o.notes = n.notes;
    if (conv_layout == "mlx" && n.shape.size() == 3 && absl::EndsWith(n.name, "weight")) {
      bool permuted = false;
      for (const Transform& t : n.transforms) permuted = permuted || t.kind == Transform::Kind::kPermute;
      if (!permuted) {
        plan.notes_.push_back(absl::StrCat("\"", n.name, "\" is 3-D but not declared as a Conv1d or ",
                                           "ConvTranspose1d weight: left in its source layout"));
      }
    }
    plan.outputs_.push_back(std::move(o));
    plan.producers_.push_back(n.make);
    plan.source_tensors_.push_back(n.source_tensors);
  }
  plan.dropped_ = planner.dropped();

  // Metadata.
  std::unique_ptr<google::protobuf::Struct> config;
  if (!options.config_json.empty()) {
    config = std::make_unique<google::protobuf::Struct>();
    auto st = google::protobuf::util::JsonStringToMessage(options.config_json, config.get());
    if (!st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(options.config_path,
                                                     ": not a JSON object: ", st.ToString()));
    }
  }
  Metadata meta;
  if (is_gguf) {
    std::string arch = options.arch;
    if (arch.empty() && schema != nullptr) arch = schema->architecture();
    if (arch.empty()) arch = "tensorport";
    meta.emplace_back("general.architecture", MetaValue::String(arch));
    std::string name = schema != nullptr && !schema->name().empty() ? schema->name() : options.name;
    if (!name.empty()) meta.emplace_back("general.name", MetaValue::String(name));
    if (!out_type.empty()) {
      meta.emplace_back("general.file_type",
                        MetaValue::UInt(FileType(out_type), MetaValue::Type::kU32));
      if (out_type == "q8_0") {
        meta.emplace_back("general.quantization_version", MetaValue::UInt(2, MetaValue::Type::kU32));
      }
    }
  }
  if (schema != nullptr) {
    for (const schema::MetadataRule& m : schema->metadata()) {
      bool skip = false;
      ASSIGN_OR_RETURN(MetaValue v, RuleValue(m, source, config.get(), options, &skip));
      if (skip) continue;
      bool replaced = false;
      for (auto& kv : meta) {
        if (kv.first == m.key()) {
          kv.second = v;
          replaced = true;
        }
      }
      if (!replaced) meta.emplace_back(m.key(), std::move(v));
    }
  }
  if (schema == nullptr || !schema->drop_source_metadata()) {
    std::string prefix = "tensorport.source.";
    if (schema != nullptr && !schema->source_metadata_prefix().empty()) {
      prefix = schema->source_metadata_prefix();
    }
    for (const auto& [key, value] : source.metadata) {
      if (value.type == MetaValue::Type::kNone) continue;
      meta.emplace_back(is_gguf ? absl::StrCat(prefix, key) : key, value);
    }
  }
  if (!is_gguf) {
    for (auto& kv : meta) kv.second = AsText(kv.second);
  }
  plan.metadata_ = std::move(meta);
  return plan;
}

}  // namespace tp
