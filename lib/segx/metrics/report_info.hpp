// What every metric report records about its run: segx version, the inputs and their digests,
// so that a report (or a shard's partial file) says exactly what it was computed from.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace segx::metrics {

struct InputRecord {
  std::string role;    // "gt_json", "pred_dir", ...
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

// Accepts a report or partial file `j` without "schema_version" (written before 0.1.0; partial
// files then said "version") or with one up to kReportSchemaVersion; refuses a newer one with
// Error(DataError) naming `name`.
void check_report_schema(const nlohmann::json& j, const std::string& name);

}  // namespace segx::metrics
