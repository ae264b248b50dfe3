// segx manifests: JSON Lines, one header record then one record per image (segx-manifest(5)).
// Records are kept as parsed JSON so that fields segx does not know pass through unchanged.
#pragma once
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

#include "segx/dataset/categories.hpp"
#include "segx/dataset/json.hpp"

namespace segx::dataset {

constexpr int kManifestVersion = 1;

struct ManifestHeader {
  JsonDocument json;  // the whole header record, unknown fields included
  std::string dataset;
  std::string root;          // optional base directory for relative paths
  std::string semantic_ids;  // optional: category | contiguous | panoptic_fpn
  CategorySet categories;
};

// A header record for a dataset name and label space.
JsonDocument make_header(const std::string& dataset, const CategorySet& categories,
                         const std::string& semantic_ids = {});

// Reads a manifest line by line: memory stays bounded by the longest line, whatever the count.
class ManifestReader {
 public:
  // "-" reads stdin. Throws Error(NoInput) when missing, Error(DataError) for a bad header.
  explicit ManifestReader(const std::string& path);
  // Reads from a stream already open (a manifest held in memory); `name` stands for its path in
  // messages and in resolve().
  ManifestReader(std::unique_ptr<std::istream> in, const std::string& name);
  ~ManifestReader();

  const ManifestHeader& header() const { return header_; }
  // Parses the next image record into `record`; false at the end. Blank lines are skipped.
  // Errors name the file and line: "cannot parse 'm.jsonl': line 7, column 12: ...".
  bool next(JsonDocument& record);
  // 1-based line number of the record last returned.
  long line() const { return line_; }
  const std::string& path() const { return path_; }
  // "'m.jsonl' line 7" for messages.
  std::string where() const;
  // Resolves a path of a record: absolute as is, else against the header's root, else against the
  // manifest's directory.
  std::string resolve(const std::string& relative) const;

 private:
  bool read_line(std::string& line);
  std::string path_;
  std::unique_ptr<std::istream> in_;
  ManifestHeader header_;
  std::string base_dir_;
  long line_ = 0;
  std::string buffer_;
};

// Writes records, one per line.
class ManifestWriter {
 public:
  explicit ManifestWriter(std::ostream& out) : out_(out) {}
  void write_header(const JsonValue& header);
  void write_record(const JsonValue& record);
  void write_raw(std::string_view json_object);  // an already serialised record

 private:
  std::ostream& out_;
};

// Record accessors with errors naming the record.
std::string record_image_id(const JsonValue& record);

}  // namespace segx::dataset
