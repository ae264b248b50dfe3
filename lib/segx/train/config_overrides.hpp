// KEY=VALUE overrides of a training config on the command line, as detectron2's trailing opts
// override a YAML config: `segx train --config recipe.json datasets.0.path=data/gt.json
// solver.max_iter=2000`. The effective config is saved beside the run (train_config.json) with
// every path made absolute and the overrides listed, so the run can be repeated from anywhere.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace segx::train {

// Applies each "KEY=VALUE" to `config`, in order. KEY is dotted; a list element is named by its
// index ("datasets.0.path"); a missing object key is created (the config's parser then refuses
// keys it does not know, naming them). VALUE is read as JSON where it is JSON (numbers,
// true/false, null, [lists], {objects}, "strings"), else taken as the string itself. A value
// for a path key (train_config_path_key) is relative to the current folder, as paths on a
// command line are, and is stored absolute. A "model" given as a file name is read into the
// config (relative to `base_dir`) before one of its keys is overridden.
// Error(Usage) naming the override when it has no '=', an empty key, a list index outside the
// list, or a key below a value that is not an object or list.
void apply_config_overrides(nlohmann::json& config, const std::vector<std::string>& overrides,
                            const std::string& base_dir);

// Whether a dotted key ("datasets.0.path", "validation.images", "output") names a file or
// folder, i.e. is resolved against the config's folder when relative.
bool train_config_path_key(const std::string& key);

// Every relative path of `config` made absolute against `base_dir` (the config's folder).
void absolutize_config_paths(nlohmann::json& config, const std::string& base_dir);

}  // namespace segx::train
