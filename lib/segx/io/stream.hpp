// Files and standard streams: "-" means stdin/stdout (resolved here, never in the CLI), outputs are
// written atomically (temporary file beside the target, renamed on commit) so that a failure never
// leaves a half-written file and never destroys what was there before.
#pragma once
#include <filesystem>
#include <fstream>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

namespace segx::io {

inline bool is_std_stream(std::string_view path) { return path == "-"; }

// Opens a file (or stdin for "-") for reading; throws Error(NoInput) naming the file.
std::unique_ptr<std::istream> open_input(const std::string& path);

// Reads a whole file (or stdin) into memory.
std::string read_all(const std::string& path);

// True when stdin/stdout is a terminal (a stream input then has no default).
bool stdin_is_terminal();
bool stdout_is_terminal();

// An output file written to a temporary beside the target and renamed over it by commit().
// Destroyed without commit(), it removes the temporary and leaves the target untouched.
// For "-" it writes to stdout; commit() flushes and reports write errors (e.g. a full disk).
class AtomicOutput {
 public:
  // binary: refuse to write to stdout when it is a terminal.
  explicit AtomicOutput(std::string path, bool binary = false);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  std::ostream& stream();
  const std::string& path() const { return path_; }
  void commit();

 private:
  std::string path_;
  std::filesystem::path temp_;
  std::unique_ptr<std::ofstream> file_;
  bool committed_ = false;
};

// Writes `bytes` to `path` atomically ("-" = stdout).
void write_file_atomic(const std::string& path, std::string_view bytes, bool binary = false);

// Makes sure `dir` can receive output files: creates it, or, when it exists and is not empty,
// refuses (Error CannotCreate) unless `overwrite` is set, so that nothing is replaced unasked.
void prepare_output_dir(const std::filesystem::path& dir, bool overwrite);
// The checks of prepare_output_dir without creating anything: true when `dir` exists (and may
// receive output), false when it does not exist yet.
bool check_output_dir(const std::filesystem::path& dir, bool overwrite);

// Flushes stdout and turns a failed write into Error(IoError); called once at exit by main().
void flush_stdout();

}  // namespace segx::io
