// The text of segx-config(5): the model and training configs, every key from the tables that
// read them (lib/segx/model/config.cpp, lib/segx/train/train_config.cpp).
#include <sstream>

#include "docgen.hpp"

namespace segx::cli {
namespace {

const char* kIntro = R"(.TH "segx-config" "5" "" "segx" "segx manual"
.SH NAME
segx\-config \- the model and training configuration files of segx
.SH DESCRIPTION
Two JSON files configure segx's models. A \fBmodel config\fR fixes a model's architecture and
its inference settings: \fBsegx train\fR writes it as \fBmodel_config.json\fR beside the weights
and \fBsegx infer \-\-config\fR reads it. A \fBtraining config\fR, read by
\fBsegx train \-\-config\fR, names the datasets, the model (a model config file or an inline
object), the solver, the augmentation and the losses. Keys mirror detectron2's Mask2Former and
OneFormer configs, whose names are given in parentheses; datasets/recipes/ in the source tree
holds complete training configs.
.PP
Every key may be left out unless it is marked required; it then takes its default. Relative paths
in a training config are resolved against the folder of the config file.
.SS Errors
A key that is not listed here, at any depth, is an error naming the file and the full dotted key,
with the closest known key when one is near:
.RS
.nf
segx train: 'train.json': unknown key "solver.lr_sheduler"
segx train: 'train.json': unknown key "solver.max_iters" (did you mean "solver.max_iter"?)
.fi
.RE
So is a value of the wrong type or outside the values listed for its key
("'train.json': solver.base_lr must be positive, not \-1"). segx then exits with status 78.
.SS Comments
A key named \fBcomment\fR, or any key that starts with \fB_\fR, is ignored at every level.
.SS Versions
segx writes \fBschema_version\fR into every model config, the version of this format that it
reads (currently 1). A file without it is read as version 1; one with a newer version is refused
(status 78). Keys that segx no longer reads are listed with "deprecated": a file that has them
loads with a warning naming the key.
)";

const char* kOutro = R"(.SH EXIT STATUS
.TP
78
an unknown key, a value of the wrong type or out of range, or a newer schema_version
.TP
66
a file named by the config (the model config, a dataset) is missing
.SH SEE ALSO
\fBsegx\-train\fR(1), \fBsegx\-infer\fR(1), \fBsegx\-manifest\fR(5)
)";

// "(number; default 0.0001; > 0)".
std::string summary(const config::KeyDoc& k) {
  std::string s = k.type;
  if (k.deprecated) return s + "; deprecated, ignored";
  if (!k.default_text.empty()) {
    if (k.default_text == "required")
      s += "; required";
    else
      s += "; default " + k.default_text;
  }
  if (!k.allowed.empty()) s += "; " + k.allowed;
  return s;
}

void write_keys(std::ostream& out, const std::vector<config::KeyDoc>& keys, const char* title) {
  out << ".SH " << title << "\n";
  for (const auto& k : keys) {
    if (k.section) out << ".SS \"" << roff(k.key) << "\"\n";
    out << ".TP\n\\fB" << roff(k.key) << "\\fR (" << roff(summary(k)) << ")\n"
        << roff(k.deprecated ? "no longer read: " + k.description : k.description) << "\n";
  }
}

}  // namespace

std::string config_man_page(const std::vector<config::KeyDoc>& model_keys,
                            const std::vector<config::KeyDoc>& train_keys) {
  std::ostringstream out;
  out << kIntro;
  write_keys(out, model_keys, "MODEL CONFIGURATION");
  write_keys(out, train_keys, "TRAINING CONFIGURATION");
  out << kOutro;
  return out.str();
}

}  // namespace segx::cli
