// Name normalisation for the `name` merge policy: case, punctuation, plurals, the alternates of
// ADE20K-style names ("sidewalk, pavement") and COCO panoptic's "-merged"/"-other"/"-stuff".
#pragma once
#include <string>
#include <vector>

namespace segx::vocab {

struct NormalizedName {
  std::string primary;                  // "wall-other-merged" -> "wall other merged"
  std::vector<std::string> alternates;  // "sidewalk, pavement" -> {"pavement"}
  std::string stripped;                 // primary without COCO suffixes: "wall"; empty if none
  std::vector<std::string> suffixes;    // the suffixes removed, outermost last: {"other", "merged"}
  std::string head;                     // for hyphenated "wall-brick": "wall"; else empty
};

// Lower case, punctuation and underscores to spaces, whitespace collapsed, last word singular.
std::string normalize_words(const std::string& text);

// A crude English singular for the last word ("stairs" -> "stair", "boxes" -> "box",
// "bus" and "glass" unchanged): both sides of a match go through it, so it need only be consistent.
std::string singular(const std::string& word);

NormalizedName normalize_name(const std::string& name);

// The display form of a name: its first comma-separated part, trimmed ("window " -> "window").
std::string display_name(const std::string& name);

// Comma-separated alternates of a name, trimmed, the first excluded ("road, route" -> {"route"}).
std::vector<std::string> name_alternates(const std::string& name);

}  // namespace segx::vocab
