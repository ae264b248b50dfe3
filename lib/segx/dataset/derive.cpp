// derive: panoptic records -> semantic-only, instance-only, boxes-only or smaller panoptic ones.
#include "segx/dataset/derive.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "segx/core/error.hpp"
#include "segx/core/parallel.hpp"
#include "segx/core/progress.hpp"
#include "segx/dataset/coco_instances.hpp"
#include "segx/dataset/coco_panoptic.hpp"
#include "segx/dataset/manifest.hpp"
#include "segx/io/panoptic_png.hpp"
#include "segx/io/png.hpp"
#include "segx/io/output_names.hpp"
#include "segx/io/staged_dir.hpp"
#include "segx/io/stream.hpp"
#include "segx/mask/rle.hpp"

namespace segx::dataset {
namespace fs = std::filesystem;

DerivedKind parse_derived_kind(const std::string& name) {
  if (name == "panoptic") return DerivedKind::Panoptic;
  if (name == "semantic") return DerivedKind::Semantic;
  if (name == "instances") return DerivedKind::Instances;
  if (name == "boxes") return DerivedKind::Boxes;
  fail(ErrorKind::Usage, "--to '{}': expected panoptic, semantic, instances or boxes", name);
}

const char* to_string(DerivedKind kind) {
  switch (kind) {
    case DerivedKind::Panoptic:
      return "panoptic";
    case DerivedKind::Semantic:
      return "semantic";
    case DerivedKind::Instances:
      return "instances";
    case DerivedKind::Boxes:
      return "boxes";
  }
  return "?";
}

namespace {

// A whole string as a (signed) integer.
bool parse_int(std::string_view text, int64_t& out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return !text.empty() && ec == std::errc() && ptr == end;
}

std::string trim(std::string_view s) {
  const auto a = s.find_first_not_of(" \t");
  if (a == std::string_view::npos) return {};
  return std::string(s.substr(a, s.find_last_not_of(" \t") - a + 1));
}

std::string slice_text(const RecordSlice& s) {
  return fmt::format("{}:{}", s.start, s.stop ? std::to_string(*s.stop) : std::string());
}

}  // namespace

RecordSlice parse_record_slice(const std::string& text) {
  const auto colon = text.find(':');
  RecordSlice s;
  const auto bad = [&] {
    fail(ErrorKind::Usage,
         "--slice '{}': expected START:STOP (0-based, STOP excluded, e.g. 40:100)", text);
  };
  if (colon == std::string::npos || text.find(':', colon + 1) != std::string::npos) bad();
  const std::string a = trim(std::string_view(text).substr(0, colon));
  const std::string b = trim(std::string_view(text).substr(colon + 1));
  if (!a.empty() && !parse_int(a, s.start)) bad();
  if (!b.empty()) {
    int64_t stop = 0;
    if (!parse_int(b, stop)) bad();
    s.stop = stop;
  }
  // Bounds on the same side of the end select nothing when out of order, whatever the count.
  if (s.stop && (s.start < 0) == (*s.stop < 0) && s.start >= *s.stop)
    fail(ErrorKind::Usage, "--slice '{}' selects no records", text);
  return s;
}

std::pair<int64_t, int64_t> resolve_slice(const RecordSlice& slice, int64_t count,
                                          const std::string& source) {
  const auto at = [count](int64_t v) { return v < 0 ? v + count : v; };
  const int64_t first = at(slice.start), last = slice.stop ? at(*slice.stop) : count;
  if (first < 0 || first > count || last < 0 || last > count)
    fail(ErrorKind::Usage, "--slice {} reaches past the {} records of '{}'", slice_text(slice),
         count, source);
  if (first >= last)
    fail(ErrorKind::Usage, "--slice {} selects none of the {} records of '{}'", slice_text(slice),
         count, source);
  return {first, last};
}

bool ClassSelection::contains(int64_t id) const {
  for (const auto& [a, b] : ranges)
    if (id >= a && id <= b) return true;
  return false;
}

ClassSelection parse_class_selection(const std::string& text) {
  ClassSelection out;
  out.text = text;
  const auto bad = [&](const std::string& item) {
    fail(ErrorKind::Usage,
         "--keep-classes '{}': '{}' is not a category id or range (expected e.g. 1-5,8,12)", text,
         item);
  };
  std::size_t pos = 0;
  while (true) {
    const auto comma = text.find(',', pos);
    const std::string item = trim(std::string_view(text).substr(
        pos, comma == std::string::npos ? std::string::npos : comma - pos));
    const auto dash = item.find('-', 1);
    int64_t a = 0, b = 0;
    if (dash == std::string::npos) {
      if (!parse_int(item, a) || a < 0) bad(item);
      b = a;
    } else if (!parse_int(trim(std::string_view(item).substr(0, dash)), a) ||
               !parse_int(trim(std::string_view(item).substr(dash + 1)), b) || a < 0 || b < a) {
      bad(item);
    }
    out.ranges.emplace_back(a, b);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

RenameTable read_rename_table(const std::string& path) {
  RenameTable table;
  table.path = path;
  const JsonDocument doc = read_json_file(path);
  const std::string file = "'" + path + "'";
  const auto* list = find_member(doc, "renames");
  if (!list || !list->IsArray())
    fail(
        ErrorKind::DataError,
        "{}: expected {{\"renames\": [{{\"from\": ID, \"id\": NEW_ID, \"name\": NEW_NAME}}, ...]}}",
        file);
  std::unordered_map<int64_t, std::size_t> seen;
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const JsonValue& e = (*list)[i];
    const std::string where = fmt::format("{}: renames[{}]", file, i);
    if (!e.IsObject()) fail(ErrorKind::DataError, "{}: expected an object", where);
    for (const auto& m : e.GetObject()) {
      const std::string key = m.name.GetString();
      if (key != "from" && key != "id" && key != "name")
        fail(ErrorKind::DataError, "{}: unknown member \"{}\" (from, id, name)", where, key);
    }
    ClassRename r;
    r.from = get_int(e, "from", where);
    if (find_member(e, "id")) r.id = get_int(e, "id", where);
    if (find_member(e, "name")) {
      r.name = get_string(e, "name", where);
      if (r.name->empty()) fail(ErrorKind::DataError, "{}: \"name\" is empty", where);
    }
    if (!r.id && !r.name)
      fail(ErrorKind::DataError, "{}: give \"id\" or \"name\" (or both) for category {}", where,
           r.from);
    if (auto [it, fresh] = seen.emplace(r.from, i); !fresh)
      fail(ErrorKind::DataError, "{}: category {} is renamed by renames[{}] already", where, r.from,
           it->second);
    table.entries.push_back(std::move(r));
  }
  return table;
}

namespace {

// The fields of a record that carry labels: replaced by the derived kind's own.
bool is_label_field(const char* key) {
  for (const char* k : {"pan_seg_file_name", "segments_info", "sem_seg_file_name", "annotations",
                        "instance_ids_file_name"})
    if (std::strcmp(key, k) == 0) return true;
  return false;
}

// The output label space: which input classes stay, under which id and name.
struct LabelSpace {
  struct Class {
    int64_t id = 0;
    std::string name;
  };
  std::unordered_map<int64_t, Class> kept;  // by input id
  const Class* find(int64_t input_id) const {
    auto it = kept.find(input_id);
    return it == kept.end() ? nullptr : &it->second;
  }
};

LabelSpace label_space(const CategorySet& cats, const DeriveOptions& o, const std::string& input) {
  if (cats.empty())
    fail(ErrorKind::DataError, "'{}' line 1: the header lists no categories", input);
  if (o.keep_classes)
    for (const auto& [a, b] : o.keep_classes->ranges) {
      bool any = false;
      for (const auto& c : cats.list()) any = any || (c.id >= a && c.id <= b);
      if (!any)
        fail(ErrorKind::Config, "--keep-classes {}: '{}' has no category {}", o.keep_classes->text,
             input, a == b ? std::to_string(a) : fmt::format("in {}-{}", a, b));
    }
  // Renames name the input's classes (kept or not: one table serves several selections).
  std::unordered_map<int64_t, std::size_t> entry_of;
  if (o.renames)
    for (std::size_t i = 0; i < o.renames->entries.size(); ++i) {
      const auto& r = o.renames->entries[i];
      if (!cats.find(r.from))
        fail(ErrorKind::Config, "'{}': renames[{}]: category {} is not in '{}'", o.renames->path, i,
             r.from, input);
      entry_of[r.from] = i;
    }
  LabelSpace space;
  const bool things_only = o.kind == DerivedKind::Instances || o.kind == DerivedKind::Boxes;
  std::unordered_map<int64_t, int64_t> owner;  // output id -> input id
  for (const auto& c : cats.list()) {
    if (o.keep_classes && !o.keep_classes->contains(c.id)) continue;
    if (things_only && !c.isthing) continue;
    LabelSpace::Class out{c.id, c.name};
    auto entry = entry_of.find(c.id);
    if (entry != entry_of.end()) {
      const auto& r = o.renames->entries[entry->second];
      if (r.id) out.id = *r.id;
      if (r.name) out.name = *r.name;
    }
    if (auto [it, fresh] = owner.emplace(out.id, c.id); !fresh) {
      // Name the entry that made the collision: this class's, else the other one's.
      const int64_t other = it->second;
      const auto culprit = entry != entry_of.end() ? entry : entry_of.find(other);
      const int64_t moved = culprit->first, stays = culprit->first == c.id ? other : c.id;
      fail(ErrorKind::Config,
           "'{}': renames[{}]: category {} would get id {}, as would category {} "
           "('{}')",
           o.renames->path, culprit->second, moved, out.id, stays, cats.find(stays)->name);
    }
    if (o.kind == DerivedKind::Semantic && (out.id < 1 || out.id > 65535)) {
      if (entry != entry_of.end())
        fail(ErrorKind::Config,
             "'{}': renames[{}]: id {} cannot be a semantic label value "
             "(1-65535; 0 is unlabeled)",
             o.renames->path, entry->second, out.id);
      fail(ErrorKind::Config,
           "'{}': category {} ('{}') cannot be a semantic label value (1-65535; "
           "0 is unlabeled): rename it with --rename",
           input, c.id, c.name);
    }
    space.kept.emplace(c.id, std::move(out));
  }
  if (space.kept.empty() && o.keep_classes)
    fail(ErrorKind::Config, "--keep-classes {} keeps no {}class of '{}'{}", o.keep_classes->text,
         things_only ? "thing " : "", input,
         things_only ? fmt::format(" (--to {} keeps things only)", to_string(o.kind)) : "");
  if (space.kept.empty())
    fail(ErrorKind::Config, "'{}' has no thing class for --to {}", input, to_string(o.kind));
  return space;
}

// The derived header: the input's, with the kept classes (renamed), the new name and, for
// semantic PNGs, their id scheme. Unknown members stay; "root" goes (paths are rewritten).
std::string derived_header(const ManifestHeader& in, const LabelSpace& space,
                           const std::string& name, DerivedKind kind) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("type"), w.String("header");
  w.Key("segx_manifest"), w.Int(kManifestVersion);
  w.Key("dataset"), w.String(name.c_str());
  if (kind == DerivedKind::Semantic) w.Key("semantic_ids"), w.String("category");
  w.Key("categories"), w.StartArray();
  for (const auto& c : member(in.json, "categories", "header").GetArray()) {
    const auto* out = space.find(get_int(c, "id", "header"));
    if (!out) continue;
    w.StartObject();
    w.Key("id"), w.Int64(out->id);
    w.Key("name"), w.String(out->name.c_str());
    for (const auto& m : c.GetObject()) {
      const char* key = m.name.GetString();
      if (std::strcmp(key, "id") == 0 || std::strcmp(key, "name") == 0) continue;
      w.Key(key, m.name.GetStringLength());
      m.value.Accept(w);
    }
    w.EndObject();
  }
  w.EndArray();
  for (const auto& m : in.json.GetObject()) {
    const char* key = m.name.GetString();
    bool rewritten = false;
    for (const char* k : {"type", "segx_manifest", "dataset", "root", "semantic_ids",
                          "reduce_zero_label", "categories"})
      rewritten = rewritten || std::strcmp(key, k) == 0;
    if (rewritten) continue;
    w.Key(key, m.name.GetStringLength());
    m.value.Accept(w);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// One record on its way: what the reading thread checked and named, then the derived text.
struct Job {
  JsonDocument record;
  std::string where;
  std::string png;                        // the input panoptic PNG, resolved
  std::string out_png;                    // the label PNG to write (staged), semantic/panoptic
  std::string out_png_field;              // its path as the record gives it
  std::string file_name;                  // file_name as the record gives it (empty: as is)
  std::vector<PanopticSegment> segments;  // every segment of the input
  int64_t first_annotation_id = 1;
  std::string text;
};

// Paths as the derived manifest writes them: relative to its folder, absolute on stdout.
struct PathWriter {
  fs::path base;  // empty: absolute
  std::string operator()(const fs::path& p) const {
    const fs::path abs = fs::absolute(p).lexically_normal();
    return base.empty() ? abs.string() : abs.lexically_relative(base).string();
  }
};

class Deriver {
 public:
  Deriver(const ManifestReader& reader, const DeriveOptions& o, LabelSpace space,
          const fs::path& stage, const std::string& output)
      : reader_(reader), o_(o), space_(std::move(space)), stage_(stage) {
    if (!io::is_std_stream(output))
      paths_.base = fs::absolute(output).parent_path().lexically_normal();
    if (!o.out_dir.empty()) out_dir_ = fs::absolute(o.out_dir).lexically_normal();
    for (const auto& [from, c] : space_.kept) wide_ = wide_ || c.id > 255;
  }

  // Checks a record's JSON and names its files (in order, on the reading thread).
  void prepare(Job& job) {
    const JsonValue& r = job.record;
    const auto* pan = find_member(r, "pan_seg_file_name");
    const auto* segs = find_member(r, "segments_info");
    if (!pan || !segs)
      fail(ErrorKind::DataError,
           "{}: not a panoptic record (needs pan_seg_file_name and "
           "segments_info)",
           job.where);
    job.png = reader_.resolve(get_string(r, "pan_seg_file_name", job.where));
    job.segments = parse_segments_info(*segs, job.where);
    std::unordered_set<uint32_t> ids;
    int64_t kept = 0;
    for (const auto& s : job.segments) {
      if (!ids.insert(s.id).second)
        fail(ErrorKind::DataError, "{}: segment id {} appears twice in segments_info", job.where,
             s.id);
      if (!reader_.header().categories.find(s.category_id))
        fail(ErrorKind::DataError, "{}: segment {} has category {}, which the header does not list",
             job.where, s.id, s.category_id);
      kept += space_.find(s.category_id) ? 1 : 0;
    }
    job.first_annotation_id = next_annotation_id_;
    next_annotation_id_ += kept;
    if (const auto* f = find_member(r, "file_name"); f && f->IsString())
      job.file_name = paths_(reader_.resolve(f->GetString()));
    if (!out_dir_.empty()) {
      const std::string name =
          png_names_.claim(fs::path(job.png).stem().string() + ".png", job.where);
      job.out_png = (stage_ / name).string();
      job.out_png_field = paths_(out_dir_ / name);
    }
  }

  // Reads the PNG, checks it against segments_info, writes the label PNG and the record.
  void derive(Job& job, io::PanopticIds& ids) const {
    try {
      io::read_panoptic_png(job.png, ids);
    } catch (const Error& e) {
      fail(e.kind(), "{}: {}", job.where, e.what());
    }
    check_size(job, ids);
    std::unordered_map<uint32_t, std::size_t> index;
    for (std::size_t k = 0; k < job.segments.size(); ++k) index.emplace(job.segments[k].id, k);
    std::vector<char> seen(job.segments.size(), 0);
    // What each pixel becomes: the semantic value, or the segment id where its class stays.
    std::vector<uint32_t> value(job.segments.size(), 0);
    for (std::size_t k = 0; k < job.segments.size(); ++k)
      if (const auto* c = space_.find(job.segments[k].category_id))
        value[k] = o_.kind == DerivedKind::Semantic ? uint32_t(c->id) : job.segments[k].id;
    std::vector<uint32_t> out;
    const bool paint = o_.kind == DerivedKind::Semantic || o_.kind == DerivedKind::Panoptic;
    if (paint) out.resize(ids.ids.size());
    uint32_t last = 0, last_value = 0;
    for (std::size_t p = 0; p < ids.ids.size(); ++p) {
      const uint32_t id = ids.ids[p];
      if (id != last || p == 0) {
        last = id, last_value = 0;
        if (id != 0) {
          auto it = index.find(id);
          if (it == index.end())
            fail(ErrorKind::DataError,
                 "{}: '{}' has segment id {} at x={} y={}, which "
                 "segments_info does not list",
                 job.where, job.png, id, p % std::size_t(ids.width), p / std::size_t(ids.width));
          seen[it->second] = 1;
          last_value = value[it->second];
        }
      }
      if (paint) out[p] = last_value;
    }
    for (std::size_t k = 0; k < job.segments.size(); ++k)
      if (!seen[k])
        fail(ErrorKind::DataError, "{}: segment {} (category {}) is not in '{}'", job.where,
             job.segments[k].id, job.segments[k].category_id, job.png);
    if (o_.kind == DerivedKind::Semantic) write_semantic(job, ids, out);
    if (o_.kind == DerivedKind::Panoptic)
      io::write_panoptic_png(job.out_png, ids.width, ids.height, out.data());
    write_record(job, ids);
  }

 private:
  void check_size(const Job& job, const io::PanopticIds& ids) const {
    const auto* h = find_member(job.record, "height");
    const auto* w = find_member(job.record, "width");
    if (h && w && h->IsInt() && w->IsInt() &&
        (h->GetInt() != ids.height || w->GetInt() != ids.width))
      fail(ErrorKind::DataError, "{}: '{}' is {}x{} but the record says {}x{}", job.where, job.png,
           ids.width, ids.height, w->GetInt(), h->GetInt());
  }

  void write_semantic(const Job& job, const io::PanopticIds& ids,
                      const std::vector<uint32_t>& values) const {
    io::Image img;
    img.width = ids.width, img.height = ids.height, img.channels = 1;
    img.bit_depth = wide_ ? 16 : 8;
    img.data.resize(img.row_bytes() * std::size_t(img.height));
    if (wide_)
      std::copy(values.begin(), values.end(), img.data16());
    else
      std::copy(values.begin(), values.end(), img.data.begin());
    io::write_png(job.out_png, img);
  }

  void write_record(Job& job, const io::PanopticIds& ids) const {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    for (const auto& m : job.record.GetObject()) {
      const char* key = m.name.GetString();
      if (is_label_field(key)) continue;
      w.Key(key, m.name.GetStringLength());
      if (std::strcmp(key, "file_name") == 0 && !job.file_name.empty())
        w.String(job.file_name.c_str());
      else
        m.value.Accept(w);
    }
    switch (o_.kind) {
      case DerivedKind::Panoptic:
        w.Key("pan_seg_file_name"), w.String(job.out_png_field.c_str());
        w.Key("segments_info"), write_segments(w, job);
        break;
      case DerivedKind::Semantic:
        w.Key("sem_seg_file_name"), w.String(job.out_png_field.c_str());
        break;
      case DerivedKind::Instances:
      case DerivedKind::Boxes:
        w.Key("annotations"), write_annotations(w, job, ids);
        break;
    }
    w.EndObject();
    job.text.assign(buf.GetString(), buf.GetSize());
  }

  // A segment's members with its category renamed; `skip` members left out.
  void write_segment_members(JsonWriter& w, const PanopticSegment& s,
                             std::initializer_list<const char*> skip) const {
    for (const auto& m : s.json->GetObject()) {
      const char* key = m.name.GetString();
      if (std::any_of(skip.begin(), skip.end(),
                      [&](const char* k) { return !std::strcmp(k, key); }))
        continue;
      w.Key(key, m.name.GetStringLength());
      if (std::strcmp(key, "category_id") == 0)
        w.Int64(space_.find(s.category_id)->id);
      else
        m.value.Accept(w);
    }
  }

  void write_segments(JsonWriter& w, const Job& job) const {
    w.StartArray();
    for (const auto& s : job.segments) {
      if (!space_.find(s.category_id)) continue;
      w.StartObject();
      write_segment_members(w, s, {});
      w.EndObject();
    }
    w.EndArray();
  }

  // COCO instance annotations of the kept segments: their members (bbox, area, iscrowd, ...)
  // with the mask's box and area where segments_info has none, an RLE for --to instances, and
  // ids numbered through the whole output from 1 (COCOeval never matches an id of 0).
  void write_annotations(JsonWriter& w, const Job& job, const io::PanopticIds& ids) const {
    const auto h = uint32_t(ids.height), wd = uint32_t(ids.width);
    bool need_masks = o_.kind == DerivedKind::Instances;
    for (const auto& s : job.segments)
      need_masks = need_masks || (space_.find(s.category_id) &&
                                  (!find_member(*s.json, "bbox") || !find_member(*s.json, "area")));
    std::vector<std::pair<uint32_t, mask::Rle>> masks;
    if (need_masks) masks = mask::encode_labels(ids.ids.data(), h, wd);
    const auto mask_of = [&](uint32_t id) -> const mask::Rle& {
      return std::lower_bound(masks.begin(), masks.end(), id,
                              [](const auto& p, uint32_t v) { return p.first < v; })
          ->second;  // present: derive() checked that every segment is in the PNG
    };
    int64_t next_id = job.first_annotation_id;
    w.StartArray();
    for (const auto& s : job.segments) {
      if (!space_.find(s.category_id)) continue;
      w.StartObject();
      write_segment_members(w, s, {"id", "segmentation"});
      if (!find_member(*s.json, "iscrowd")) w.Key("iscrowd"), w.Int(0);
      if (!find_member(*s.json, "bbox")) {
        w.Key("bbox"), w.StartArray();
        for (double v : mask::to_bbox(mask_of(s.id))) w.Double(v);
        w.EndArray();
      }
      if (!find_member(*s.json, "area")) w.Key("area"), w.Uint64(mask::area(mask_of(s.id)));
      if (o_.kind == DerivedKind::Instances)
        w.Key("segmentation"), write_rle_json(w, mask_of(s.id));
      w.Key("id"), w.Int64(next_id++);
      w.EndObject();
    }
    w.EndArray();
  }

  const ManifestReader& reader_;
  const DeriveOptions& o_;
  LabelSpace space_;
  fs::path stage_, out_dir_;
  PathWriter paths_;
  bool wide_ = false;
  int64_t next_annotation_id_ = 1;
  io::OutputNames png_names_;  // every output PNG written once
};

// Records in a manifest file (non-blank lines after the header), without parsing them.
int64_t count_records(const std::string& path) {
  auto in = io::open_input(path);
  std::string line;
  int64_t n = -1;
  while (std::getline(*in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) ++n;
  return std::max<int64_t>(n, 0);
}

void check_options(const DeriveOptions& o) {
  const bool pngs = o.kind == DerivedKind::Semantic || o.kind == DerivedKind::Panoptic;
  if (pngs && o.out_dir.empty())
    fail(ErrorKind::Usage, "--to {} writes label PNGs: give --out-dir DIR", to_string(o.kind));
  if (!pngs && !o.out_dir.empty())
    fail(ErrorKind::Usage, "--to {} writes no PNGs: --out-dir is for semantic and panoptic",
         to_string(o.kind));
  if (o.overwrite && o.out_dir.empty())
    fail(ErrorKind::Usage,
         "--overwrite is for --out-dir; the manifest named by -o is always "
         "replaced");
}

}  // namespace

void derive_manifest(const std::string& input, const std::string& output,
                     const DeriveOptions& options) {
  check_options(options);
  const bool from_stdin = io::is_std_stream(input);
  if (from_stdin && io::stdin_is_terminal())
    fail(ErrorKind::Usage, "no manifest: give INPUT, or pipe one into '-'");
  if (from_stdin && options.slice.negative())
    fail(ErrorKind::Usage,
         "--slice {} counts from the end, which needs the record count: give "
         "the manifest as a file, not '-'",
         slice_text(options.slice));
  ManifestReader reader(input);
  LabelSpace space = label_space(reader.header().categories, options, reader.path());
  // A file is counted first, so that a slice past its end fails before any work.
  int64_t first = options.slice.start, last = options.slice.stop.value_or(INT64_MAX);
  if (!from_stdin) {
    const int64_t count = count_records(input);
    if (count == 0) fail(ErrorKind::DataError, "'{}': no image records after the header", input);
    std::tie(first, last) = resolve_slice(options.slice, count, input);
  }
  const std::string name = !options.name.empty()
                               ? options.name
                               : (reader.header().dataset.empty() ? fs::path(input).stem().string()
                                                                  : reader.header().dataset) +
                                     "_" + to_string(options.kind);

  std::optional<io::StagedDir> stage;
  if (!options.out_dir.empty()) stage.emplace(options.out_dir, options.overwrite);
  io::AtomicOutput out(output);
  // On stdout the records wait until all are derived: a failure leaves nothing there either.
  std::ostringstream pending;
  std::ostream& sink = io::is_std_stream(output) ? pending : out.stream();
  sink << derived_header(reader.header(), space, name, options.kind) << '\n';

  Deriver deriver(reader, options, std::move(space), stage ? stage->path() : fs::path(), output);
  Progress progress(fmt::format("derive -> {}", to_string(options.kind)),
                    from_stdin ? 0 : std::size_t(last - first));
  const int threads = resolve_threads(options.threads);
  std::vector<io::PanopticIds> buffers(static_cast<std::size_t>(threads));
  // Records go in batches: the workers share each batch's PNGs, memory stays bounded, and the
  // records come out in input order.
  const std::size_t batch_size = 16 * std::size_t(threads);
  std::vector<Job> batch;
  batch.reserve(batch_size);  // segments point into their record: no reallocation
  const auto flush = [&] {
    parallel_for(batch.size(), threads, [&](std::size_t i, int worker) {
      deriver.derive(batch[i], buffers[std::size_t(worker)]);
      progress.advance();
    });
    for (const auto& job : batch) sink << job.text << '\n';
    batch.clear();
  };
  int64_t index = 0;
  JsonDocument rec;
  while (index < last && reader.next(rec)) {
    if (index++ < first) continue;
    Job& job = batch.emplace_back();
    job.record.Swap(rec);
    job.where = reader.where();
    deriver.prepare(job);
    if (batch.size() == batch_size) flush();
  }
  flush();
  if (from_stdin && index == 0)
    fail(ErrorKind::DataError, "'{}': no image records after the header", reader.path());
  if (from_stdin && index < last) resolve_slice(options.slice, index, reader.path());
  progress.finish();
  if (io::is_std_stream(output)) out.stream() << pending.str();
  if (stage) stage->commit();
  out.commit();
}

}  // namespace segx::dataset
