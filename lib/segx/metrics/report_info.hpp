// What every metric report records about its run: segx version, the inputs and their digests,
// so that a report (or a shard's partial file) says exactly what it was computed from.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace segx::metrics {

struct InputRecord {
  std::string role;  // "gt_json", "pred_dir", ...
  std::string path;
  std::string digest;  // "sha256:<64 hex>" of the file's bytes (as sha256sum); empty for folders
  std::uint64_t bytes = 0;
};

// Records a file input with its digest (streams it once), or a folder by path only.
InputRecord describe_input(const std::string& role, const std::string& path);

struct ReportInfo {
  std::vector<InputRecord> inputs;
  nlohmann::json options = nlohmann::json::object();  // options that change the numbers
};

// The schema of the report and partial-file JSON that segx writes (eval --json, --shard
// partials): raised when a field changes meaning or goes; readers refuse a newer one.
inline constexpr int kReportSchemaVersion = 1;

// {"schema_version": 1, "segx_version": ..., "inputs": [...], "options": {...}}
nlohmann::json report_header(const ReportInfo& info);

// What every shard's partial file (`segx eval pq|miou --shard I/N --partial FILE`) starts with,
// whatever its metric; the metric's own fields sit beside these.
struct PartialHeader {
  int shard_index = 1, shard_count = 1;
  std::size_t total_images = 0;  // in the whole set
  nlohmann::json run;            // report_header() of the run
};

// {"format": "segx-eval-partial", "schema_version": 1, "metric": metric, "shard", "total_images",
// "run"}
nlohmann::json partial_header_json(const std::string& metric, const PartialHeader& header);
// Checks format, metric and schema_version (check_report_schema) (Error(DataError) naming `name`:
// "'NAME' is not WHAT" for another kind of file) and reads the header; missing or mistyped fields
// throw nlohmann's exceptions, which the metric's reader turns into its "malformed partial file"
// error.
PartialHeader partial_header_from_json(const nlohmann::json& j, const std::string& metric,
                                       const std::string& what, const std::string& name);

// Accepts a report or partial file `j` without "schema_version" (written before 0.1.0; partial
// files then said "version") or with one up to kReportSchemaVersion; refuses a newer one with
// Error(DataError) naming `name`.
void check_report_schema(const nlohmann::json& j, const std::string& name);

}  // namespace segx::metrics
